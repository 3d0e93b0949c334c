/**
 * A replica's start: the saved snapshot, read line by line, then the ops of
 * the log that are newer than it, replayed in pages. Also how a replica
 * undoes the ops of a commit that failed: it loads again what the log holds.
 */
import { REMEMBERED_RETRIES, REPLAY_PAGE_OPS } from "./config.ts";
import type { RetryRecord } from "./ops.ts";
import { applyOp, createState, type TrackerState } from "./state.ts";
import { counted } from "./replica_snapshot.ts";
import { stateFromLines } from "./state_snapshot.ts";
import type { OpStore, VersionVector } from "./storage.ts";

/** What a replica starts from. */
export interface LoadedReplica {
  state: TrackerState;
  /** Highest seq held per origin, in the log or (for a peer's installed snapshot) only in the snapshot. */
  vv: VersionVector;
  /** Per origin, the last seq deleted from the log. */
  base: VersionVector;
  /** Ops replayed on top of the snapshot. */
  sinceSnapshot: number;
  /** Lines of the snapshot loaded (0 without one). */
  snapshotLines: number;
  /** The latest retry records, oldest first. */
  retries: RetryRecord[];
}

/**
 * Loads the snapshot and replays newer ops.
 * @returns the state and what it covers
 */
export function loadReplica(store: OpStore): LoadedReplica {
  const snapshot = store.snapshotReader();
  let snapshotLines = 0;
  const state = snapshot === undefined
    ? createState()
    : stateFromLines(counted(snapshot.lines, () => snapshotLines++));
  const vv = store.versionVector();
  for (const [origin, seq] of snapshot?.versionVector ?? []) {
    if (seq > (vv.get(origin) ?? 0)) vv.set(origin, seq);
  }
  let sinceSnapshot = 0;
  for (const [origin, max] of vv) {
    let after = snapshot?.versionVector.get(origin) ?? 0;
    while (after < max) {
      const page = store.readAfter(origin, after, REPLAY_PAGE_OPS);
      if (page.length === 0) break;
      for (const op of page) applyOp(state, op);
      sinceSnapshot += page.length;
      after = page[page.length - 1]!.seq;
    }
  }
  const retries = store.recentRetries(REMEMBERED_RETRIES);
  return { state, vv, base: store.logBase(), sinceSnapshot, snapshotLines, retries };
}
