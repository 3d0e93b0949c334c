/**
 * Defaults of the data plane: the seeder's limits and the downloader's pool,
 * timeouts and retry policy. Every figure carries its unit in its name.
 */

/** Piece requests a download keeps in flight across all its workers (12 MiB of 512 KiB pieces). */
export const REQUESTS_IN_FLIGHT = 24;
/** Bytes of pieces a download keeps requested at most, so large pieces do not multiply its memory. */
export const REQUESTED_BYTES_MAX = 24 * 1024 * 1024;
/** Requests a download keeps in flight however large its pieces. */
export const MIN_REQUESTS_IN_FLIGHT = 4;
/** Most workers a pool starts by default. */
export const MAX_DEFAULT_WORKERS = 8;
/** Tries per piece before the download fails. */
export const MAX_TRIES_PER_PIECE = 5;
/** Consecutive failures after which a peer is dropped. */
export const PEER_MAX_FAILURES = 3;
/** Pieces failing their hash that ban the peer that sent them, for one download. */
export const BAN_AFTER_CORRUPT_PIECES = 3;
/** Peers fetching one piece at once in end-game. */
export const END_GAME_FETCHERS_PER_PIECE = 2;
/** End-game duplicates a piece only once it is this much (and twice its expected time) late. */
export const END_GAME_GRACE_MS = 200;
/** A peer is asked for at most this long's worth of pieces at its measured rate (at least one). */
export const PEER_QUEUE_MS = 250;
/**
 * Requests in flight to a peer before its first piece is back: a few, so
 * downloaders starting together do not all queue the same pieces at a seeder.
 */
export const UNMEASURED_PEER_DEPTH = 4;
/** Fewest request slots a peer's share may be. */
export const MIN_PEER_SHARE_SLOTS = 2;
/** A piece request (or connect) unanswered this long fails with TIMEOUT. */
export const PIECE_TIMEOUT_MS = 15_000;
/** How often peers that hold only part of the file are asked again what they have. */
export const PEER_REFRESH_MS = 2000;
/** A download with nothing to fetch from anyone for this long asks for fresh peers. */
export const STALL_TIMEOUT_MS = 30_000;
/** An unreachable peer the tracker still lists is tried again after this long. */
export const PEER_RETRY_MS = 5_000;
/** Connections a seeder serves at once; more are told UNAVAILABLE and closed. */
export const SEEDER_MAX_CONNECTIONS = 256;
/** Connections a seeder serves at once from one address (IPv4, or IPv6 /64). */
export const SEEDER_MAX_CONNECTIONS_PER_SOURCE = 64;
/**
 * A seeder closes a connection that has asked nothing this long while not
 * being answered: a downloader with nothing to ask anyone for as long has
 * stalled (STALL_TIMEOUT_MS).
 */
export const SEEDER_IDLE_TIMEOUT_MS = 30_000;
/** Files one seeder connection keeps open at once. */
export const SEEDER_OPEN_FILES_PER_CONN = 4;
/** A seeder closes a connection that has shown no valid ticket within this long. */
export const SEEDER_TICKET_WAIT_MS = 10_000;
/** How long a closing pool waits for its workers to say they are done. */
export const WORKER_SHUTDOWN_WAIT_MS = 2000;
/** Busy time after which a peer's measuring window is halved, so its rate follows changes. */
export const PEER_RATE_WINDOW_MS = 4000;
/** Window of a download's shown rate. */
export const DOWNLOAD_RATE_WINDOW_MS = 3000;

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
  /** Corrupt pieces that ban a peer for one download. */
  banAfterCorrupt: number;
  /** How often peers that hold only part of the file are asked again what they have. */
  peerRefreshMs: number;
  /** A download with nothing to fetch from anyone for this long asks for fresh peers. */
  stallTimeoutMs: number;
  /** Connections a seeder serves at once; more are told UNAVAILABLE and closed. */
  seederMaxConnections: number;
  /** Connections a seeder serves at once from one address. */
  seederMaxConnectionsPerSource: number;
  /** A seeder closes a connection silent this long while not being answered. */
  seederIdleTimeoutMs: number;
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
    maxTries: MAX_TRIES_PER_PIECE,
    pieceTimeoutMs: PIECE_TIMEOUT_MS,
    peerMaxFailures: PEER_MAX_FAILURES,
    banAfterCorrupt: BAN_AFTER_CORRUPT_PIECES,
    peerRefreshMs: PEER_REFRESH_MS,
    stallTimeoutMs: STALL_TIMEOUT_MS,
    seederMaxConnections: SEEDER_MAX_CONNECTIONS,
    seederMaxConnectionsPerSource: SEEDER_MAX_CONNECTIONS_PER_SOURCE,
    seederIdleTimeoutMs: SEEDER_IDLE_TIMEOUT_MS,
    seederOpenFilesPerConn: SEEDER_OPEN_FILES_PER_CONN,
    seederTicketWaitMs: SEEDER_TICKET_WAIT_MS,
  };
}
