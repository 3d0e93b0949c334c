/**
 * What the piece picker knows of each peer: which pieces it holds, what it
 * has in flight, how fast it delivers, how often it failed. Pure.
 *
 * Throughput is bytes delivered per millisecond of having requests
 * outstanding, over a window of busy time that is halved once it grows past
 * a few seconds, so the figure follows a peer that speeds up or slows down.
 */
import { PEER_QUEUE_MS, PEER_RATE_WINDOW_MS, UNMEASURED_PEER_DEPTH } from "./config.ts";

/** One peer's state. */
export interface PeerState {
  id: string;
  have: Uint8Array;
  inFlight: number;
  /** When it last went from idle to busy. */
  busySinceMs: number;
  /** Bytes and busy milliseconds of the measuring window. */
  windowBytes: number;
  windowMs: number;
  consecutiveFailures: number;
  dropped: boolean;
  /** Why it was dropped: banned for corrupt pieces, unreachable, or left the swarm. */
  dropReason?: DropReason;
  /** True when its last bitfield held every piece (a full seeder, as far as we know). */
  full: boolean;
  /** Pieces it sent that failed their hash; never reset. */
  corruptPieces: number;
  /** When it was dropped (ms), to try an unreachable peer again later. */
  droppedAtMs: number;
  /** Bytes of its pieces that the download used (not duplicates of the end-game). */
  bytes: number;
}

/** Why a peer is no longer used. */
export type DropReason = "banned" | "unreachable" | "left";

/**
 * A peer just learnt of, holding nothing yet.
 * @returns its state
 */
export function newPeerState(id: string, pieceCount: number): PeerState {
  return {
    id,
    have: new Uint8Array(Math.ceil(pieceCount / 8)),
    inFlight: 0,
    busySinceMs: 0,
    windowBytes: 0,
    windowMs: 0,
    consecutiveFailures: 0,
    dropped: false,
    full: false,
    corruptPieces: 0,
    droppedAtMs: 0,
    bytes: 0,
  };
}

/** Counts one more request in flight. */
export function markBusy(p: PeerState, nowMs: number): void {
  if (p.inFlight++ === 0) p.busySinceMs = nowMs;
}

/** Counts one request less in flight, folding the busy time so far into the window. */
export function markIdle(p: PeerState, nowMs: number): void {
  p.windowMs += Math.max(0, nowMs - p.busySinceMs);
  p.busySinceMs = nowMs;
  if (p.windowMs > 2 * PEER_RATE_WINDOW_MS) {
    p.windowMs /= 2;
    p.windowBytes /= 2;
  }
  if (p.inFlight > 0) p.inFlight--;
}

/**
 * Each peer's share of the request slots, in proportion to its throughput.
 * A peer not measured yet counts as the mean of the measured ones (or 1).
 * @param rates bytes per ms of each peer, 0 when unknown
 * @returns slots per peer, each at least `minShare`
 */
export function peerShares(
  rates: readonly number[],
  totalSlots: number,
  minShare: number,
): number[] {
  const known = rates.filter((r) => r > 0);
  const mean = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  const effective = rates.map((r) => (r > 0 ? r : mean));
  const sum = effective.reduce((a, b) => a + b, 0);
  return effective.map((r) => Math.max(minShare, Math.round((totalSlots * r) / sum)));
}

/**
 * Requests worth keeping queued at a peer: what it delivers in `queueMs` at
 * its measured rate, at least one; `unmeasured` until a piece has come back.
 * A deeper queue adds no speed; at a slow, shared seeder it only keeps pieces
 * promised to us that other downloaders then ask it for too.
 * @returns the most requests to keep in flight to it
 */
export function queueDepth(
  rate: number,
  pieceBytes: number,
  queueMs: number,
  unmeasured: number,
): number {
  return rate > 0 ? Math.max(1, Math.ceil((rate * queueMs) / pieceBytes)) : unmeasured;
}

/**
 * Each peer's request slots: its share by throughput, and no more than
 * `PEER_QUEUE_MS` of its throughput.
 * @returns slots per peer
 */
export function peerSlots(
  rates: readonly number[],
  totalSlots: number,
  minShare: number,
  pieceBytes: number,
): number[] {
  return peerShares(rates, totalSlots, minShare).map((share, i) =>
    Math.min(share, queueDepth(rates[i]!, pieceBytes, PEER_QUEUE_MS, UNMEASURED_PEER_DEPTH))
  );
}

/**
 * A peer's measured throughput.
 * @returns bytes per ms, or 0 when not measured yet
 */
export function rateOf(p: PeerState, nowMs: number): number {
  const ms = p.windowMs + (p.inFlight > 0 ? Math.max(0, nowMs - p.busySinceMs) : 0);
  return p.windowBytes > 0 && ms > 0 ? p.windowBytes / ms : 0;
}

/** Clears bit `index` of a bitfield. */
export function clearBit(bits: Uint8Array, index: number): void {
  bits[index >> 3]! &= ~(0x80 >> (index & 7));
}
