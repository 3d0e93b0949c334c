/**
 * The data plane: everything that moves file bytes between clients.
 *
 * A seeder (seeder.ts) serves verified pieces of the files in its catalog; a
 * download (downloader.ts, download_run.ts) picks pieces rarest first
 * (piece_picker.ts, peer_meter.ts) and hands them to a pool of Web Workers
 * (worker_pool.ts, piece_worker.ts) that fetch each piece over a peer
 * connection (peer_conn.ts), verify its hash and write it into the `.part`
 * file (part_file.ts); the verified pieces prove the whole file, whose id is
 * a hash of the piece hashes. hash_file.ts makes a file's manifest, rate_limit.ts
 * caps a seeder's upload. Seeders serve only on a download ticket
 * (ticket_gate.ts); downloads show theirs on each connection and renew it
 * (ticket_keeper.ts). This folder imports only protocol/ and itself, and
 * this module is its only entry point for the rest of the program.
 */
export {
  defaultTransferConfig,
  defaultWorkerCount,
  MAX_DEFAULT_WORKERS,
  requestsPerWorkerFor,
  SEEDER_MAX_CONNECTIONS_PER_SOURCE,
  type TransferConfig,
} from "./config.ts";
export {
  createWorkerPool,
  type Download,
  type DownloadOptions,
  type DownloadProgress,
  startDownload,
  type WorkerPool,
} from "./downloader.ts";
export { hashFile } from "./hash_file.ts";
export type { RenewTicket } from "./ticket_keeper.ts";
export type { PieceMap } from "./piece_map.ts";
export { PeerConn } from "./peer_conn.ts";
export {
  type Seeder,
  type SeederOptions,
  type SeederStats,
  type ShareCatalog,
  type SharedFile,
  startSeeder,
} from "./seeder.ts";
