/** Which peer a piece goes to (see piece_picker.ts). Pure. */
import { bitfieldHas } from "../../protocol/peer_frames.ts";
import type { PeerState } from "./peer_meter.ts";

/**
 * The free peer holding `index` with the fewest requests per unit of rate.
 * A peer that failed this piece is used only when no other live peer holds it.
 * @param free the peers with a free slot, and their measured rates
 * @param fetching the peers already fetching this piece
 * @param failed the peers that failed this piece
 * @returns the peer, or undefined when no free peer can take it
 */
export function bestPeerFor(
  index: number,
  free: Map<PeerState, number>,
  live: PeerState[],
  fetching: Map<string, number> | undefined,
  failed: Set<string> | undefined,
): PeerState | undefined {
  const rates = [...free.values()].filter((r) => r > 0);
  const mean = rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length : 1;
  const fresh = (p: PeerState) =>
    !failed?.has(p.id) && bitfieldHas(p.have, index) && !fetching?.has(p.id);
  const avoidFailed = failed !== undefined && live.some(fresh);
  let best: PeerState | undefined;
  let bestScore = Infinity;
  for (const [p, rate] of free) {
    if (!bitfieldHas(p.have, index) || fetching?.has(p.id)) continue;
    if (avoidFailed && failed.has(p.id)) continue;
    const score = (p.inFlight + 1) / (rate > 0 ? rate : mean);
    if (score < bestScore) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}
