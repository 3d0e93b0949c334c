/**
 * The piece picker: decides which piece to ask for next and from which peer.
 * Pure: no I/O, no timers; time comes in as `nowMs`.
 *
 * Pieces are taken in one total order. First priority: a piece that already
 * failed once comes before fresh ones, so a retry never becomes the straggler
 * that the whole download waits for at the end. Then availability, rarest
 * first: a piece that few peers hold is fetched while they are still here,
 * and spreading rare pieces makes a swarm of partial peers useful to each
 * other. Then the index, lowest first: with equal availability (the usual case
 * of full seeders) the file fills in order, which lets the whole-file hash run
 * alongside the download instead of after it. The order is total because
 * indices are distinct.
 *
 * A piece goes to the peer that holds it and would finish it soonest: the
 * fewest requests in flight per unit of measured throughput (bytes delivered
 * per millisecond of having requests outstanding, over a window of the last
 * few seconds of busy time). A peer that failed this piece before is avoided
 * while another holder exists. No peer is given more than its share of the
 * request slots, in proportion to its throughput (and never fewer than
 * `minShare`, so a slow start can still be measured), so a slow peer cannot
 * hold many pieces hostage; nor more than `PEER_QUEUE_MS` of its throughput.
 *
 * End-game: once every missing piece is in flight, a free slot asks a second
 * peer for the in-flight piece with the fewest fetchers (lowest index first);
 * the first copy to arrive wins, and the other copies are released at once
 * (the caller cancels them on the wire); only the winning copy's bytes count
 * for its peer. A piece that fails its hash or cannot be written bumps its
 * tries (the download fails after `maxTries`); other failures only send it
 * back to the queue; `missing` (the peer lacks it) only clears that peer's
 * bit. Every corrupt piece counts against the peer that sent it, and after
 * `banAfterCorrupt` the peer is banned; a peer with `peerMaxFailures` other
 * failures in a row is dropped as unreachable (and may be revived when the
 * tracker still lists it), one the tracker no longer lists has left.
 */

import {
  clearBit,
  type DropReason,
  markBusy,
  markIdle,
  newPeerState,
  peerSlots,
  type PeerState,
  rateOf,
} from "./peer_meter.ts";
import type { FailureKind } from "./worker_messages.ts";
import {
  BAN_AFTER_CORRUPT_PIECES,
  END_GAME_FETCHERS_PER_PIECE,
  MAX_TRIES_PER_PIECE,
  MIN_PEER_SHARE_SLOTS,
  PEER_MAX_FAILURES,
} from "./config.ts";
import { bitfieldHas } from "../../protocol/peer_frames.ts";
import { bestPeerFor, holdsAll, isLate, shuffledRanks } from "./peer_choice.ts";

export { type DropReason, peerShares } from "./peer_meter.ts";
export * from "./picker_types.ts";
import {
  type Assignment,
  comparePieces,
  type DoneOutcome,
  type FailureOutcome,
  type PeerSummary,
  type PickerOptions,
  type PieceRank,
} from "./picker_types.ts";

function reasonText(p: PeerState): string {
  if (p.dropReason === "banned") return `banned: ${p.corruptPieces} corrupt pieces`;
  return p.dropReason ?? "";
}

/** Which pieces are needed, who holds them, and who is fetching what. See the module comment. */
export class PiecePicker {
  readonly pieceCount: number;
  #maxTries: number;
  #peerMaxFailures: number;
  #maxFetchers: number;
  #minShare: number;
  #banAfter: number;
  #order: Uint32Array | null;
  #pieceBytes: number;
  #done: Uint8Array;
  #doneCount = 0;
  #tries: Uint8Array;
  #retried: Uint8Array;
  #availability: Uint32Array;
  #queued: Uint8Array;
  #queue: number[] = [];
  /** In-flight pieces: peer -> time assigned. */
  #fetchers = new Map<number, Map<string, number>>();
  #failedBy = new Map<number, Set<string>>();
  #peers = new Map<string, PeerState>();

  /** @param options piece count and policy */
  constructor(options: PickerOptions) {
    const n = options.pieceCount;
    this.pieceCount = n;
    this.#maxTries = options.maxTries ?? MAX_TRIES_PER_PIECE;
    this.#peerMaxFailures = options.peerMaxFailures ?? PEER_MAX_FAILURES;
    this.#maxFetchers = options.maxFetchersPerPiece ?? END_GAME_FETCHERS_PER_PIECE;
    this.#minShare = options.minShare ?? MIN_PEER_SHARE_SLOTS;
    this.#banAfter = options.banAfterCorrupt ?? BAN_AFTER_CORRUPT_PIECES;
    this.#pieceBytes = options.pieceBytes ?? 512 * 1024;
    this.#order = options.shuffle ? shuffledRanks(n) : null;
    this.#done = new Uint8Array(n);
    this.#tries = new Uint8Array(n);
    this.#retried = new Uint8Array(n);
    this.#availability = new Uint32Array(n);
    this.#queued = new Uint8Array(n).fill(1);
    this.#queue = Array.from({ length: n }, (_, i) => i);
  }

  /** Pieces done. */
  get doneCount(): number {
    return this.#doneCount;
  }

  /** @returns true when every piece is done */
  isComplete(): boolean {
    return this.#doneCount === this.pieceCount;
  }

  /** @returns true when piece `index` is done */
  isDone(index: number): boolean {
    return this.#done[index] === 1;
  }

  /** @returns the peers, in the order they were added */
  peers(): PeerSummary[] {
    return [...this.#peers.values()].map((p) => ({
      id: p.id,
      dropped: p.dropped,
      ...(p.dropReason === undefined ? {} : { reason: reasonText(p) }),
      bytes: p.bytes,
      inFlight: p.inFlight,
      holdsAll: this.#holdsAll(p),
    }));
  }

  /** @returns how many peers are not dropped */
  activePeerCount(): number {
    let count = 0;
    for (const p of this.#peers.values()) if (!p.dropped) count++;
    return count;
  }

  /**
   * Sets which pieces a peer holds (adding the peer if new). Ignored for a dropped peer.
   * @param bits bitfield, most significant bit first
   */
  setPeerPieces(peer: string, bits: Uint8Array): void {
    let state = this.#peers.get(peer);
    if (state === undefined) {
      state = newPeerState(peer, this.pieceCount);
      this.#peers.set(peer, state);
    }
    if (state.dropped) return;
    for (let i = 0; i < this.pieceCount; i++) {
      const before = bitfieldHas(state.have, i);
      const after = bitfieldHas(bits, i);
      if (before !== after) this.#availability[i]! += after ? 1 : -1;
    }
    state.have = bits.slice(0, state.have.length);
    state.full = this.#holdsAll(state);
    this.#resort();
  }

  /**
   * Drops a peer: it is not picked again and its pieces no longer count.
   * A ban is final; a peer that was unreachable or left may be revived.
   */
  dropPeer(peer: string, reason: DropReason = "unreachable", nowMs = 0): void {
    const state = this.#peers.get(peer);
    if (state === undefined) return;
    if (state.dropped) {
      if (reason === "banned") state.dropReason = reason;
      return;
    }
    state.dropped = true;
    state.dropReason = reason;
    state.droppedAtMs = nowMs;
    for (let i = 0; i < this.pieceCount; i++) {
      if (bitfieldHas(state.have, i)) this.#availability[i]!--;
    }
    this.#resort();
  }

  /**
   * Takes back a peer that was unreachable or had left (never a banned one),
   * holding nothing until it is asked again.
   * @param minDownMs how long an unreachable peer stays out before this revives it
   * @returns true when the peer is back
   */
  revivePeer(peer: string, nowMs: number, minDownMs: number): boolean {
    const state = this.#peers.get(peer);
    if (state === undefined || !state.dropped || state.dropReason === "banned") return false;
    if (state.dropReason === "unreachable" && nowMs - state.droppedAtMs < minDownMs) return false;
    state.dropped = false;
    delete state.dropReason;
    state.consecutiveFailures = 0;
    state.have.fill(0);
    return true;
  }

  /** @returns how a dropped peer was dropped, or undefined for a peer in use or unknown */
  dropReasonOf(peer: string): DropReason | undefined {
    return this.#peers.get(peer)?.dropReason;
  }

  /**
   * Marks one more piece of `peer` as held (a have it pushed).
   * Ignored for a dropped or unknown peer.
   */
  peerHas(peer: string, index: number): void {
    const state = this.#peers.get(peer);
    if (state === undefined || state.dropped || index >= this.pieceCount) return;
    if (bitfieldHas(state.have, index)) return;
    state.have[index >> 3]! |= 0x80 >> (index & 7);
    this.#availability[index]!++;
    if (this.#queued[index] === 1) {
      this.#queue.splice(this.#queue.indexOf(index), 1);
      this.#queued[index] = 0;
      this.#enqueue(index);
    }
  }

  /** @returns true when the peer is known and dropped */
  isDropped(peer: string): boolean {
    return this.#peers.get(peer)?.dropped ?? false;
  }

  /**
   * Counts a failure of a peer outside any piece (a failed probe).
   * @returns true when that dropped the peer
   */
  peerFailed(peer: string, nowMs = 0): boolean {
    const state = this.#peers.get(peer);
    if (state === undefined || state.dropped) return false;
    if (++state.consecutiveFailures < this.#peerMaxFailures) return false;
    this.dropPeer(peer, "unreachable", nowMs);
    return true;
  }

  /**
   * Picks the next piece and peer, or null when no slot can be used now.
   * @param totalSlots request slots of the whole download, for the shares
   * @param nowMs the current time, remembered to measure the peer
   */
  pick(totalSlots: number, nowMs: number): Assignment | null {
    const live = [...this.#peers.values()].filter((p) => !p.dropped);
    const rates = live.map((p) => rateOf(p, nowMs));
    const slots = peerSlots(rates, totalSlots, this.#minShare, this.#pieceBytes);
    const freeRates = new Map(
      live.flatMap((p, i) => p.inFlight < slots[i]! ? [[p, rates[i]!] as const] : []),
    );
    if (freeRates.size === 0) return null;
    for (let q = 0; q < this.#queue.length; q++) {
      const index = this.#queue[q]!;
      const peer = this.#bestPeer(index, freeRates, live);
      if (peer === undefined) continue;
      this.#queue.splice(q, 1);
      this.#queued[index] = 0;
      return this.#assign(index, peer, nowMs, false);
    }
    if (this.#queue.length > 0) return null;
    const inFlight = [...this.#fetchers.entries()]
      .filter(([, f]) =>
        f.size < this.#maxFetchers && isLate(f, this.#peers, nowMs, this.#pieceBytes)
      )
      .sort(([a, fa], [b, fb]) => fa.size - fb.size || a - b);
    for (const [index] of inFlight) {
      const peer = this.#bestPeer(index, freeRates, live);
      if (peer !== undefined) return this.#assign(index, peer, nowMs, true);
    }
    return null;
  }

  /**
   * Records a verified piece (from `peer`, or from disk when `peer` is null).
   * The other peers fetching it are released: their copies are not needed.
   * @returns whether the piece was not done before, and whose requests to cancel
   */
  pieceDone(index: number, peer: string | null, bytes: number, nowMs: number): DoneOutcome {
    const fresh = this.#done[index] === 0;
    if (peer !== null) {
      const state = this.#release(index, peer, nowMs);
      if (state !== undefined) {
        state.windowBytes += bytes;
        state.consecutiveFailures = 0;
        if (fresh) state.bytes += bytes;
      }
    }
    if (!fresh) return { fresh, cancel: [] };
    const cancel = [...(this.#fetchers.get(index)?.keys() ?? [])];
    for (const other of cancel) this.#release(index, other, nowMs);
    this.#done[index] = 1;
    this.#doneCount++;
    if (this.#queued[index] === 1) {
      this.#queued[index] = 0;
      this.#queue.splice(this.#queue.indexOf(index), 1);
    }
    return { fresh, cancel };
  }

  /**
   * Records a failed fetch of `index` from `peer`.
   * @returns whether the piece is exhausted and whether the peer was dropped
   */
  pieceFailed(index: number, peer: string, kind: FailureKind, nowMs: number): FailureOutcome {
    const state = this.#release(index, peer, nowMs);
    let peerDropped = false;
    let peerBanned = false;
    if (kind === "hash" && state !== undefined && !state.dropped) {
      // Counted whether or not the piece is still needed: the peer sent bad bytes.
      if (++state.corruptPieces >= this.#banAfter) {
        this.dropPeer(peer, "banned", nowMs);
        peerDropped = peerBanned = true;
      }
    }
    if (kind === "missing") {
      if (state !== undefined && bitfieldHas(state.have, index)) {
        clearBit(state.have, index);
        state.full = false;
        if (!state.dropped) this.#availability[index]!--;
      }
    } else if (this.#done[index] === 0) {
      // A peer that went away or timed out says nothing about the piece itself.
      if (kind === "hash" || kind === "io") {
        this.#tries[index] = Math.min(255, this.#tries[index]! + 1);
      }
      let failed = this.#failedBy.get(index);
      if (failed === undefined) this.#failedBy.set(index, failed = new Set());
      failed.add(peer);
      if (kind !== "io" && kind !== "hash" && !peerBanned) {
        peerDropped = this.peerFailed(peer, nowMs);
      }
    }
    const exhausted = this.#done[index] === 0 && this.#tries[index]! >= this.#maxTries;
    if (this.#done[index] === 0 && !exhausted && !this.#fetchers.has(index)) {
      this.#retried[index] = kind === "missing" ? this.#retried[index]! : 1;
      this.#enqueue(index);
    }
    return { exhausted, peerDropped, peerBanned };
  }

  #assign(index: number, peer: PeerState, nowMs: number, endgame: boolean): Assignment {
    let fetchers = this.#fetchers.get(index);
    if (fetchers === undefined) this.#fetchers.set(index, fetchers = new Map());
    fetchers.set(peer.id, nowMs);
    markBusy(peer, nowMs);
    return { index, peer: peer.id, endgame };
  }

  #release(index: number, peer: string, nowMs: number): PeerState | undefined {
    const fetchers = this.#fetchers.get(index);
    if (!fetchers?.delete(peer)) return this.#peers.get(peer);
    if (fetchers.size === 0) this.#fetchers.delete(index);
    const state = this.#peers.get(peer);
    if (state !== undefined) markIdle(state, nowMs);
    return state;
  }

  #bestPeer(index: number, free: Map<PeerState, number>, live: PeerState[]) {
    return bestPeerFor(index, free, live, this.#fetchers.get(index), this.#failedBy.get(index));
  }

  #rank(index: number): PieceRank {
    return {
      retried: this.#retried[index] === 1,
      availability: this.#availability[index]!,
      // Ties in a shuffled order when asked, so that leechers ask the seeder for different pieces.
      index: this.#order === null ? index : this.#order[index]!,
    };
  }

  #resort(): void {
    this.#queue.sort((a, b) => comparePieces(this.#rank(a), this.#rank(b)));
  }

  #enqueue(index: number): void {
    if (this.#queued[index] === 1) return;
    const rank = this.#rank(index);
    let lo = 0;
    let hi = this.#queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comparePieces(this.#rank(this.#queue[mid]!), rank) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.#queue.splice(lo, 0, index);
    this.#queued[index] = 1;
  }

  #holdsAll = (p: PeerState) => holdsAll(p.have, this.pieceCount);
}
