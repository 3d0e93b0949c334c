/** How a replica is opened: its id, its data dir, its snapshot and write-retry timings. */
import type { OpStore } from "./storage.ts";

/** Options of `Replica.open`. */
export interface ReplicaOptions {
  /** This tracker's id, the origin of its own ops. */
  id: number;
  /** Data directory of the op log. */
  dataDir: string;
  /** Ops between snapshots. */
  snapshotEveryOps: number;
  /** Receives log lines: a failed commit with its SQLite error, writes resuming. @default nothing */
  log?: (line: string) => void;
  /** Time between tries to commit again after a failed commit. @default WRITE_RETRY_MS */
  writeRetryMs?: number;
  /** Opens the op log (tests inject storage faults here). @default new OpStore(dataDir) */
  openStore?: (dataDir: string) => OpStore;
  /** Most ops kept behind the snapshot for a peer that lacks them. @default LOG_KEEP_OPS */
  logKeepOps?: number;
  /** The wall clock in milliseconds. @default Date.now */
  nowMs?: () => number;
  /** A received stamp further ahead of the wall clock is refused. @default no limit */
  maxClockSkewMs?: number;
}
