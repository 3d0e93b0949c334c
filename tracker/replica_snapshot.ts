/**
 * A replica's snapshot taken at once (on close, or after installing a
 * peer's): the compacted state saved as lines, the piece hashes no manifest
 * needs swept, then the op log cut behind the snapshot as far as every known
 * peer allows (log_truncation.ts). Snapshots taken while the tracker runs are
 * written a slice at a time instead (snapshot_job.ts), in the same format
 * (snapshot_cursor.ts): no line grows with a group.
 */
import { LOG_KEEP_OPS, REMEMBERED_RETRIES } from "./config.ts";
import { truncationPoint } from "./log_truncation.ts";
import type { TrackerState } from "./state.ts";
import { compactState } from "./state_compaction.ts";
import { allSnapshotLines } from "./snapshot_cursor.ts";
import { commitFailure, type OpStore, type VersionVector } from "./storage.ts";

/** Where the log may be cut behind a saved snapshot. */
export interface LogCut {
  store: OpStore;
  /** Highest seq held per origin: what the snapshot covers. */
  held: VersionVector;
  /** Per origin, the last seq already cut from the log; raised here. */
  base: VersionVector;
  /** What each peer is known to hold. */
  peers: VersionVector[];
  /** Cut at least this far (a peer's installed snapshot covers it). */
  cut: VersionVector;
  /** Most ops kept behind the snapshot for a lagging peer. @default LOG_KEEP_OPS */
  logKeepOps?: number | undefined;
}

/** What a snapshot reads and moves. */
export interface SnapshotInput extends LogCut {
  state: TrackerState;
  log?: ((line: string) => void) | undefined;
}

/**
 * Saves a snapshot and cuts the log behind it. A snapshot that cannot be
 * saved is logged and skipped: the log is whole without it.
 * @returns how many lines the snapshot has, or undefined when it was not saved
 */
export function saveSnapshot(input: SnapshotInput): number | undefined {
  const { store, state, held } = input;
  compactState(state); // what no view can need leaves memory here, and the snapshot
  let lines = 0;
  try {
    store.saveSnapshot(counted(allSnapshotLines(state), () => lines++), held);
    store.sweepPieces(state.manifests);
  } catch (error) {
    input.log?.(`tracker: cannot save a snapshot: ${commitFailure(error)}`);
    return undefined;
  }
  cutLogBehind(input);
  return lines;
}

/**
 * Passes items through, calling `count` for each.
 * @returns the same items
 */
export function* counted<T>(items: Iterable<T>, count: () => void): Generator<T> {
  for (const item of items) {
    count();
    yield item;
  }
}

/** Cuts the log behind a snapshot just saved, as far as every known peer allows. */
export function cutLogBehind(input: LogCut): void {
  const upTo = logCutPoint(input);
  if (upTo.size === 0) return;
  input.store.truncateLog(upTo, REMEMBERED_RETRIES);
  raiseBase(input.base, upTo);
}

/**
 * Where the log may be cut behind a snapshot just saved.
 * @returns origin -> last seq to delete, only where that moves the log's start
 */
export function logCutPoint(input: LogCut): VersionVector {
  const { held, base } = input;
  const upTo = truncationPoint(held, base, input.peers, input.logKeepOps ?? LOG_KEEP_OPS);
  for (const [origin, seq] of input.cut) upTo.set(origin, Math.max(seq, upTo.get(origin) ?? 0));
  return upTo;
}

/** Raises the log's start, per origin, to at least `upTo`. */
export function raiseBase(base: VersionVector, upTo: VersionVector): void {
  for (const [origin, seq] of upTo) base.set(origin, Math.max(seq, base.get(origin) ?? 0));
}
