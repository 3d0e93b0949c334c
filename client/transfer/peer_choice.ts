/** Which peer a piece goes to (see piece_picker.ts). Pure. */
import { bitfieldHas } from "../../protocol/peer_frames.ts";
import { type PeerState, rateOf } from "./peer_meter.ts";
import { END_GAME_GRACE_MS } from "./config.ts";

/** How much worse a full seeder scores than a partial peer with the same queue and rate. */
const SEEDER_PENALTY = 8;

/**
 * The free peer holding `index` with the fewest requests per unit of rate.
 * A peer that failed this piece is used only when no other live peer holds it.
 * A partial peer (another downloader) that holds it goes before full seeders,
 * so that seeders spend their upload on the pieces nobody else has yet.
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
    const score = (p.full ? SEEDER_PENALTY : 1) * (p.inFlight + 1) / (rate > 0 ? rate : mean);
    if (score < bestScore) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}

/**
 * End-game asks a second peer only for a piece that is late: each fetcher
 * has had it longer than twice what its queue should take at its measured
 * rate, plus a grace, so a copy that would arrive anyway is not paid twice.
 * @param fetchers the peers fetching the piece, and when each was asked
 * @returns true when a second copy is worth asking for
 */
export function isLate(
  fetchers: Map<string, number>,
  peers: Map<string, PeerState>,
  nowMs: number,
  pieceBytes: number,
): boolean {
  for (const [id, since] of fetchers) {
    const p = peers.get(id);
    const rate = p === undefined ? 0 : rateOf(p, nowMs);
    const expectMs = p !== undefined && rate > 0 ? (p.inFlight * pieceBytes) / rate : 0;
    if (nowMs - since < 2 * expectMs + END_GAME_GRACE_MS) return false;
  }
  return true;
}

/** @returns true when bitfield `have` holds every one of `count` pieces */
export function holdsAll(have: Uint8Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (!bitfieldHas(have, i)) return false;
  return true;
}

/** @returns a random rank for each of `count` pieces (a permutation of 0..count-1) */
export function shuffledRanks(count: number): Uint32Array {
  const ranks = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [ranks[i], ranks[j]] = [ranks[j]!, ranks[i]!];
  }
  return ranks;
}
