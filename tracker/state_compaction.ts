/**
 * Compaction: what the state no longer needs leaves memory and snapshots.
 * Every tracker compacts the same way, and at any moment, because nothing it
 * drops can matter to what users see, now or after any op that may still
 * arrive:
 *
 * - sessions that expired by the horizon, and the hashes of closed sessions
 *   once they would have expired (an expired session is never seen again);
 * - peer leases whose op is older than the horizon by more than the longest
 *   lease (state.ts, leaseForgotten): clients that left or lapsed;
 * - manifests that no active seed refers to: every share op carries its own
 *   manifest, and a seed that refers to one keeps it from then on, so a
 *   manifest dropped here is never needed by a seed applied later.
 *
 * Ended group epochs leave in `applyOp` itself (state.ts), when their removal
 * arrives; what stays of them is their create and removal stamps.
 */
import { pruneLeases, pruneSessions } from "./state.ts";
import type { TrackerState } from "./state_types.ts";
import { removeManifest } from "./state_manifests.ts";

/** What one compaction dropped. */
export interface Compaction {
  /** Sessions and closed-session hashes. */
  sessions: number;
  /** Peer leases forgotten. */
  leases: number;
  /** Pieces keys of the manifests dropped. */
  manifests: string[];
}

/**
 * Drops expired sessions, forgotten peer leases and unreferenced manifests.
 * @param state the state to change in place
 * @returns what was dropped
 */
export function compactState(state: TrackerState): Compaction {
  const sessions = pruneSessions(state);
  const leases = pruneLeases(state);
  const referenced = new Set<string>();
  for (const group of state.groups.values()) {
    for (const epoch of group.epochs.values()) {
      for (const seeds of epoch.files.values()) {
        for (const { value: seed } of seeds.values()) {
          if (!seed.active) continue;
          if (seed.piecesKey !== undefined) referenced.add(seed.piecesKey);
          // A seed from before shares carried manifests may use any of its file's.
          else for (const key of state.fileManifests.get(seed.fileHash) ?? []) referenced.add(key);
        }
      }
    }
  }
  const manifests: string[] = [];
  for (const key of state.manifests.keys()) {
    if (referenced.has(key)) continue;
    removeManifest(state, key);
    manifests.push(key);
  }
  return { sessions, leases, manifests };
}
