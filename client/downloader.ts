/**
 * Downloads a file from its peers into `destPath`.
 *
 * The bytes go to `destPath + ".part"`, pre-sized to the file's size. Pieces
 * already in an existing `.part` are checked against their hashes by the
 * workers and kept, so a download that was cancelled or whose process died
 * resumes where it was. The main thread picks (client/piece_picker.ts); a pool
 * of Web Workers fetches, verifies and writes (client/piece_worker.ts); the
 * whole-file hash is computed in piece order as pieces arrive
 * (client/whole_file_hasher.ts). Only when the whole file matches the
 * manifest's `fileHash` is the `.part` renamed to `destPath` (replacing what
 * was there). A failed or cancelled download leaves nothing under `destPath`;
 * its `.part` stays for a later resume, except when the whole-file hash did not
 * match (the manifest itself is inconsistent), in which case it is removed.
 */
import type { Manifest } from "../protocol/manifest.ts";
import { DownloadRun } from "./download_run.ts";
import { defaultTransferConfig, requestsPerWorkerFor } from "./transfer_config.ts";
import type { WorkerPool } from "./worker_pool.ts";

export { createWorkerPool, type WorkerPool } from "./worker_pool.ts";

/** A download's state as `show_downloads` shows it. */
export interface DownloadProgress {
  state: "running" | "complete" | "failed";
  /** Why it failed (or "Download cancelled"). */
  error?: string;
  piecesDone: number;
  pieces: number;
  /** Pieces found verified in an existing `.part` when it started. */
  piecesResumed: number;
  bytesDone: number;
  size: number;
  /** Bytes per second over the last few seconds (over the whole run once complete). */
  rateBytesPerSec: number;
  peers: { addr: string; state: "active" | "dropped"; bytes: number }[];
}

/** A running download. */
export interface Download {
  readonly manifest: Manifest;
  progress(): DownloadProgress;
  /** True when piece `index` is verified on disk (so the seeder may serve it). */
  hasPiece(index: number): boolean;
  /** Resolves (never rejects) with the final progress: complete or failed. */
  done: Promise<DownloadProgress>;
  /** Stops the download (keeping its `.part`) and resolves when it has stopped. */
  cancel(): Promise<void>;
  /** Adds peers learnt later (for example from a fresh `download_file`). */
  setPeers(addrs: string[]): void;
}

/** Options of {@link startDownload}. */
export interface DownloadOptions {
  manifest: Manifest;
  /** Seeder addresses, host:port. */
  peers: string[];
  /** The final path; the download writes to `${destPath}.part` until verified. */
  destPath: string;
  /** Workers of the download's own pool (ignored with `pool`). @default 8 */
  workers?: number;
  /** A pool shared with other downloads; without it the download starts and closes its own. */
  pool?: WorkerPool;
  /** Tries per piece. @default 5 */
  maxTries?: number;
  /** A piece request or connect unanswered this long fails. @default 15000 */
  pieceTimeoutMs?: number;
  /** Piece requests in flight per worker. @default 3 */
  requestsPerWorker?: number;
  /** Consecutive failures that drop a peer. @default 3 */
  peerMaxFailures?: number;
  /** How often partial peers are asked again what they hold. @default 2000 */
  peerRefreshMs?: number;
  /** Fail when nothing can be fetched from anyone for this long. @default 30000 */
  stallTimeoutMs?: number;
  /** Budget of pieces held for the in-order whole-file hash. @default 16 MiB */
  holdBytes?: number;
}

/** The options with every default filled in. */
export type ResolvedDownloadOptions = Required<Omit<DownloadOptions, "pool">> & {
  pool: WorkerPool | undefined;
};

/**
 * Starts downloading a file. See the module comment for the files it writes.
 * @returns the download's handle; `done` settles when it completes or fails
 * @throws {RangeError} for an option out of range
 */
export function startDownload(options: DownloadOptions): Download {
  const defaults = defaultTransferConfig();
  const resolved: ResolvedDownloadOptions = {
    manifest: options.manifest,
    peers: [...new Set(options.peers)],
    destPath: options.destPath,
    workers: options.workers ?? defaults.workers,
    pool: options.pool,
    maxTries: options.maxTries ?? defaults.maxTries,
    pieceTimeoutMs: options.pieceTimeoutMs ?? defaults.pieceTimeoutMs,
    requestsPerWorker: options.requestsPerWorker ??
      requestsPerWorkerFor(options.pool?.size ?? options.workers ?? defaults.workers),
    peerMaxFailures: options.peerMaxFailures ?? defaults.peerMaxFailures,
    peerRefreshMs: options.peerRefreshMs ?? defaults.peerRefreshMs,
    stallTimeoutMs: options.stallTimeoutMs ?? defaults.stallTimeoutMs,
    holdBytes: options.holdBytes ?? defaults.holdBytes,
  };
  for (const key of ["workers", "maxTries", "pieceTimeoutMs", "requestsPerWorker"] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1) {
      throw new RangeError(`Option "${key}" must be a positive integer`);
    }
  }
  const run = new DownloadRun(resolved);
  const done = run.run();
  return {
    manifest: options.manifest,
    progress: () => run.progress(),
    hasPiece: (index) => run.hasPiece(index),
    done,
    cancel: async () => {
      run.cancel();
      await done;
    },
    setPeers: (addrs) => run.addPeers(addrs),
  };
}
