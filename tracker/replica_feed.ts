/**
 * What a replica sends a peer: the committed ops it is not known to hold,
 * read from the op log in bounded batches.
 */
import type { Op } from "./ops.ts";
import type { OpStore, VersionVector } from "./storage.ts";

/** The parts of a replica that say which ops its log holds. */
export interface LogView {
  /** This tracker's id: its own ops are offered first. */
  id: number;
  /** Highest committed seq per origin. */
  committed: VersionVector;
  /** Per origin, the last seq deleted from the log. */
  base: VersionVector;
}

/** Bounds of one batch. */
export interface BatchLimits {
  maxOps: number;
  maxBytes: number;
  /** Origins the peer will not take now. */
  skipOrigins: ReadonlySet<number>;
}

/**
 * Reads committed ops a peer lacks, in per-origin seq order. Origins whose
 * missing ops have left the log are skipped (the peer needs the snapshot).
 * @param known what the peer holds
 * @returns at most `maxOps` ops, stopping early after `maxBytes` of JSON
 */
export function missingOps(
  store: Pick<OpStore, "readAfter">,
  log: LogView,
  known: VersionVector,
  limits: BatchLimits,
): Op[] {
  const { maxOps, maxBytes, skipOrigins } = limits;
  const batch: Op[] = [];
  let bytes = 0;
  for (const origin of sendOrder(log)) {
    if (skipOrigins.has(origin)) continue;
    const max = log.committed.get(origin) ?? 0;
    let after = known.get(origin) ?? 0;
    if (after < (log.base.get(origin) ?? 0)) continue;
    while (after < max && batch.length < maxOps && bytes < maxBytes) {
      const page = store.readAfter(origin, after, Math.min(256, maxOps - batch.length));
      if (page.length === 0) break;
      for (const op of page) {
        if (bytes >= maxBytes && batch.length > 0) break;
        bytes += JSON.stringify(op.body).length + 64;
        batch.push(op);
        after = op.seq;
      }
    }
    if (batch.length >= maxOps || bytes >= maxBytes) break;
  }
  return batch;
}

/**
 * Counts the committed ops a peer is not known to have.
 * @returns the count
 */
export function opsBehind(committed: VersionVector, known: VersionVector): number {
  let behind = 0;
  for (const [origin, max] of committed) behind += Math.max(0, max - (known.get(origin) ?? 0));
  return behind;
}

/**
 * Origins in the order their ops are sent: this tracker's own first. When
 * several peers feed a restarted tracker at once, each starts on a
 * different origin; in the same order they sent it the same ops in
 * lockstep, and about half of all ops arrived twice.
 */
function sendOrder(log: LogView): number[] {
  const others = [...log.committed.keys()].filter((origin) => origin !== log.id);
  return log.committed.has(log.id) ? [log.id, ...others] : others;
}
