/**
 * Defaults of the data plane: the seeder's limits and the downloader's pool,
 * timeouts and retry policy. Every figure carries its unit in its name.
 */

/** The data plane's tunables. */
export interface TransferConfig {
  /** Web Workers a download uses when it brings its own pool. */
  workers: number;
  /** Piece requests each worker keeps in flight. */
  requestsPerWorker: number;
  /** Tries per piece before the download fails. */
  maxTries: number;
  /** A piece request (or connect) unanswered this long fails with TIMEOUT. */
  pieceTimeoutMs: number;
  /** Consecutive failures after which a peer is dropped. */
  peerMaxFailures: number;
  /** How often peers that hold only part of the file are asked again what they have. */
  peerRefreshMs: number;
  /** A download with nothing to fetch from anyone for this long fails. */
  stallTimeoutMs: number;
  /** Verified pieces held in memory for the whole-file hash while earlier ones arrive. */
  holdBytes: number;
  /** Connections a seeder serves at once; more are closed at once. */
  seederMaxConnections: number;
  /** Files one seeder connection keeps open at once. */
  seederOpenFilesPerConn: number;
}

/**
 * The defaults.
 * @returns a fresh config
 */
export function defaultTransferConfig(): TransferConfig {
  return {
    workers: 8,
    requestsPerWorker: 3,
    maxTries: 5,
    pieceTimeoutMs: 15_000,
    peerMaxFailures: 3,
    peerRefreshMs: 2_000,
    stallTimeoutMs: 30_000,
    holdBytes: 16 * 1024 * 1024,
    seederMaxConnections: 256,
    seederOpenFilesPerConn: 4,
  };
}
