/** The shapes of a download: its options, its handle and its progress. */
import type { Manifest } from "../../protocol/manifest.ts";
import type { WorkerPool } from "./worker_pool.ts";
import type { RenewTicket } from "./ticket_keeper.ts";
import type { PieceMap } from "./piece_map.ts";

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
  /** Running, but no peer it knows has a piece it needs: it goes on when one appears. */
  waiting: boolean;
  /**
   * Each peer, why it is no longer used (`reason`, e.g. "banned: 3 corrupt
   * pieces"), and the bytes of its pieces that the download used.
   */
  peers: { addr: string; state: PeerUse; reason?: string; bytes: number }[];
}

/** How a download uses a peer. */
export type PeerUse = "active" | "banned" | "unreachable" | "left";

/** A running download. */
export interface Download {
  readonly manifest: Manifest;
  progress(): DownloadProgress;
  /** Which pieces are done, in flight, and from which peer, for the dashboard. */
  pieceMap(): PieceMap;
  /** True when piece `index` is verified on disk (so the seeder may serve it). */
  hasPiece(index: number): boolean;
  /** Resolves (never rejects) with the final progress: complete or failed. */
  done: Promise<DownloadProgress>;
  /** Stops the download (keeping its `.part`) and resolves when it has stopped. */
  cancel(): Promise<void>;
  /**
   * The peers the tracker lists now (for example from a fresh `download_file`):
   * new ones join, unreachable ones listed again are tried again, and those no
   * longer listed have left.
   */
  setPeers(addrs: string[], peerCerts?: Record<string, string>): void;
}

/** Options of {@link startDownload}. */
export interface DownloadOptions {
  manifest: Manifest;
  /** Seeder addresses, host:port. */
  peers: string[];
  /** Certificates (PEM) by peer address: such a peer is dialed with TLS, trusting only its own. @default {} (plain TCP) */
  peerCerts?: Record<string, string>;
  /** The download ticket from `download_file` (base64url): seeders serve nothing without it. */
  ticket: string;
  /** Gets a fresh ticket before this one expires. @default none: the ticket is never renewed */
  renewTicket?: RenewTicket;
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
  /** Ask for fresh peers (`onPeersLow`) when nothing could be fetched for this long. @default 30000 */
  stallTimeoutMs?: number;
  /**
   * Take equally rare pieces in a random order, so that leechers starting
   * together ask the seeder for different pieces. @default false (in order)
   */
  spread?: boolean;
  /** Give up after waiting this long for peers (0: never). @default 0 */
  giveUpAfterMs?: number;
  /** Corrupt pieces that ban a peer for this download. @default 3 */
  banAfterCorrupt?: number;
  /** Told once per peer banned, with why. @default nothing */
  onPeerBanned?: (addr: string, reason: string) => void;
  /** Asked for fresh peers: the download runs low (few usable peers, or waiting). @default nothing */
  onPeersLow?: () => void;
  /** Told of each piece verified during the download, so its peers can learn of it. @default nothing */
  onPieceVerified?: (index: number) => void;
}

/** The options with every default filled in. */
export type ResolvedDownloadOptions =
  & Required<
    Omit<
      DownloadOptions,
      "pool" | "renewTicket" | "onPeerBanned" | "onPeersLow" | "onPieceVerified"
    >
  >
  & Pick<DownloadOptions, "onPeerBanned" | "onPeersLow" | "onPieceVerified">
  & {
    pool: WorkerPool | undefined;
    renewTicket: RenewTicket | undefined;
  };
