/**
 * What a replica starts from, read back from its op log: the snapshot, then
 * every op after it replayed in per-origin order. Also how a replica undoes
 * the ops of a commit that failed: it loads again what the log holds.
 */
import { REMEMBERED_RETRIES, REPLAY_PAGE_OPS } from "./config.ts";
import type { RetryRecord } from "./ops.ts";
import { applyOp, createState, type TrackerState } from "./state.ts";
import { deserializeState } from "./state_snapshot.ts";
import type { OpStore, VersionVector } from "./storage.ts";

/** The durable state of a replica. */
export interface Loaded {
  state: TrackerState;
  /** Highest seq per origin held in the log. */
  versionVector: VersionVector;
  /** Ops replayed on top of the snapshot. */
  sinceSnapshot: number;
  /** The latest retry records, oldest first. */
  retries: RetryRecord[];
}

/**
 * Reads the snapshot and replays the newer ops.
 * @returns the state the log holds
 */
export function loadFromLog(store: OpStore): Loaded {
  const snapshot = store.loadSnapshot();
  const state = snapshot === undefined ? createState() : deserializeState(snapshot.state);
  const versionVector = store.versionVector();
  let sinceSnapshot = 0;
  for (const [origin, max] of versionVector) {
    let after = snapshot?.versionVector.get(origin) ?? 0;
    while (after < max) {
      const page = store.readAfter(origin, after, REPLAY_PAGE_OPS);
      if (page.length === 0) break;
      for (const op of page) applyOp(state, op);
      sinceSnapshot += page.length;
      after = page[page.length - 1]!.seq;
    }
  }
  return { state, versionVector, sinceSnapshot, retries: store.recentRetries(REMEMBERED_RETRIES) };
}
