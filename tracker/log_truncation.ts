/**
 * Where a tracker may cut its op log behind a snapshot: past what every known
 * peer holds, but never keeping more than `keepOps` of an origin's ops behind
 * the snapshot. A peer further behind than that is sent the snapshot instead
 * of the ops it lacks.
 */
import type { VersionVector } from "./storage.ts";

/**
 * The truncation point, per origin.
 * @param snapshot the version vector of the snapshot just saved
 * @param base where the log begins now, per origin
 * @param peers what each known peer holds
 * @param keepOps most ops kept behind the snapshot for a peer that lacks them
 * @returns origin -> last seq to delete, only where that moves the log's start
 */
export function truncationPoint(
  snapshot: VersionVector,
  base: VersionVector,
  peers: readonly VersionVector[],
  keepOps: number,
): VersionVector {
  const upTo: VersionVector = new Map();
  for (const [origin, seq] of snapshot) {
    let held = seq;
    for (const known of peers) held = Math.min(held, known.get(origin) ?? 0);
    const cut = Math.max(held, seq - keepOps);
    if (cut > (base.get(origin) ?? 0)) upTo.set(origin, cut);
  }
  return upTo;
}

/**
 * Tells whether a peer lacks ops that are no longer in the log.
 * @returns true when it must be sent the snapshot
 */
export function needsSnapshot(known: VersionVector, base: VersionVector): boolean {
  for (const [origin, seq] of base) if ((known.get(origin) ?? 0) < seq) return true;
  return false;
}
