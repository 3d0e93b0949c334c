/**
 * Downloads a file from its peers into `destPath`.
 *
 * The bytes go to `destPath + ".part"`, pre-sized to the file's size. Pieces
 * already in an existing `.part` are checked against their hashes by the
 * workers and kept, so a download that was cancelled or whose process died
 * resumes where it was. The main thread picks (client/piece_picker.ts); a pool
 * of Web Workers fetches, verifies and writes (client/piece_worker.ts). The
 * manifest's `fileHash` is a hash of its piece hashes (protocol/manifest.ts),
 * checked before anything is fetched, so once every piece matches its hash the
 * whole file is proven with no second pass over its bytes, and the `.part` is
 * moved to `destPath`, never replacing what is there. A manifest whose id does
 * not match its piece hashes is refused at once. A failed or cancelled download
 * leaves nothing under `destPath`; its `.part` stays for a later resume.
 */
import { DownloadRun } from "./download_run.ts";
import { defaultTransferConfig, requestsPerWorkerFor } from "./config.ts";

export { createWorkerPool, type WorkerPool } from "./worker_pool.ts";
export type {
  Download,
  DownloadOptions,
  DownloadProgress,
  ResolvedDownloadOptions,
} from "./download_types.ts";
import type { Download, DownloadOptions, ResolvedDownloadOptions } from "./download_types.ts";

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
    peerCerts: options.peerCerts ?? {},
    ticket: options.ticket,
    renewTicket: options.renewTicket,
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
    giveUpAfterMs: options.giveUpAfterMs ?? 0,
    spread: options.spread ?? false,
    banAfterCorrupt: options.banAfterCorrupt ?? defaults.banAfterCorrupt,
  };
  if (options.onPeerBanned) resolved.onPeerBanned = options.onPeerBanned;
  if (options.onPeersLow) resolved.onPeersLow = options.onPeersLow;
  if (options.onPieceVerified) resolved.onPieceVerified = options.onPieceVerified;
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
    pieceMap: () => run.pieceMap(),
    done,
    cancel: async () => {
      run.cancel();
      await done;
    },
    setPeers: (addrs, peerCerts) => run.setPeers(addrs, peerCerts),
  };
}
