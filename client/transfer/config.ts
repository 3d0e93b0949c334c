/**
 * Defaults of the data plane: the seeder's limits and the downloader's pool,
 * timeouts and retry policy. Every figure carries its unit in its name.
 */

/** Piece requests a download keeps in flight across all its workers (12 MiB of 512 KiB pieces). */
export const REQUESTS_IN_FLIGHT = 24;
/** Most workers a pool starts by default. */
export const MAX_DEFAULT_WORKERS = 8;

/**
 * The default pool size: one worker per core, at most 8. Workers beyond the
 * cores only add thread wake-ups and memory: on 2 cores, 8 workers measured
 * about 20% more CPU per GiB and twice the memory of 2.
 * @returns the worker count
 */
export function defaultWorkerCount(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? MAX_DEFAULT_WORKERS;
  return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, cores));
}

/**
 * Requests each worker keeps in flight so a pool of `workers` keeps
 * {@link REQUESTS_IN_FLIGHT} going, and at least 3 each.
 * @returns requests per worker
 */
export function requestsPerWorkerFor(workers: number): number {
  return Math.max(3, Math.ceil(REQUESTS_IN_FLIGHT / workers));
}

/** The data plane's tunables. */
export interface TransferConfig {
  /** Web Workers a download uses when it brings its own pool. @default one per core, at most 8 */
  workers: number;
  /** Piece requests each worker keeps in flight. @default 24 in all, at least 3 each */
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
  /** A seeder closes a connection that has not shown a valid ticket this long after it opened. */
  seederTicketWaitMs: number;
}

/**
 * The defaults.
 * @returns a fresh config
 */
export function defaultTransferConfig(): TransferConfig {
  return {
    workers: defaultWorkerCount(),
    requestsPerWorker: requestsPerWorkerFor(defaultWorkerCount()),
    maxTries: 5,
    pieceTimeoutMs: 15_000,
    peerMaxFailures: 3,
    peerRefreshMs: 2_000,
    stallTimeoutMs: 30_000,
    holdBytes: 16 * 1024 * 1024,
    seederMaxConnections: 256,
    seederOpenFilesPerConn: 4,
    seederTicketWaitMs: 10_000,
  };
}
