import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { comparePieces, peerShares, PiecePicker, type PieceRank } from "./piece_picker.ts";
import { makeBitfield } from "../../protocol/peer_frames.ts";
import { queueDepth } from "./peer_meter.ts";

const rank = (index: number, availability: number, retried = false): PieceRank => ({
  retried,
  availability,
  index,
});

Deno.test("comparePieces() orders retried, then rarest, then lowest index", () => {
  const cases: [string, PieceRank, PieceRank, number][] = [
    ["retried before fresh", rank(9, 5, true), rank(0, 1), -1],
    ["fresh after retried", rank(0, 1), rank(9, 5, true), 1],
    ["rarer first", rank(9, 1), rank(0, 2), -1],
    ["commoner later", rank(0, 3), rank(9, 2), 1],
    ["same availability: lower index", rank(2, 2), rank(5, 2), -1],
    ["same piece", rank(4, 2), rank(4, 2), 0],
  ];
  for (const [name, a, b, sign] of cases) assertEquals(Math.sign(comparePieces(a, b)), sign, name);
});

Deno.test("peerShares() splits slots by throughput with a floor", () => {
  const cases: [string, number[], number, number, number[]][] = [
    ["unknown peers share equally", [0, 0, 0], 12, 2, [4, 4, 4]],
    ["twice as fast gets twice the slots", [2, 1, 1], 16, 2, [8, 4, 4]],
    ["a slow peer keeps the floor", [100, 1], 10, 2, [10, 2]],
    ["an unmeasured peer counts as the mean", [3, 0, 1], 12, 1, [6, 4, 2]],
  ];
  for (const [name, rates, slots, floor, expected] of cases) {
    assertEquals(peerShares(rates, slots, floor), expected, name);
  }
});

const ALL = (n: number) => makeBitfield(n, () => true);
const ONLY = (n: number, held: number[]) => makeBitfield(n, (i) => held.includes(i));

function drain(picker: PiecePicker, slots: number): [number, string][] {
  const out: [number, string][] = [];
  for (let a = picker.pick(slots, 0); a !== null; a = picker.pick(slots, 0)) {
    out.push([a.index, a.peer]);
  }
  return out;
}

Deno.test("PiecePicker.pick() takes rarest pieces first, then by index", () => {
  const picker = new PiecePicker({ pieceCount: 4, minShare: 1 });
  picker.setPeerPieces("a", ALL(4));
  picker.setPeerPieces("b", ONLY(4, [0, 1, 2]));
  // Piece 3 is held by one peer, the others by two.
  assertEquals(drain(picker, 2), [[3, "a"], [0, "b"]]);
});

Deno.test("PiecePicker.pick() gives no peer more than its share", () => {
  const picker = new PiecePicker({ pieceCount: 10, minShare: 1 });
  picker.setPeerPieces("a", ALL(10));
  picker.setPeerPieces("b", ALL(10));
  const picks = drain(picker, 4);
  assertEquals(picks.length, 4);
  assertEquals(picks.filter(([, p]) => p === "a").length, 2);
  assertEquals(picks.filter(([, p]) => p === "b").length, 2);
});

Deno.test("PiecePicker weights peers by measured throughput", () => {
  const picker = new PiecePicker({ pieceCount: 40, minShare: 1, pieceBytes: 1000 });
  picker.setPeerPieces("fast", ALL(40));
  picker.setPeerPieces("slow", ALL(40));
  const first = drain(picker, 4);
  for (const [index, peer] of first) {
    picker.pieceDone(index, peer, 1000, peer === "fast" ? 10 : 100);
  }
  const next = drain(picker, 10).map(([, p]) => p);
  // fast: 100 B/ms, slow: 10 B/ms -> 9 and 1 of 10 slots.
  assertEquals([next.filter((p) => p === "fast").length, next.filter((p) => p === "slow").length], [
    9,
    1,
  ]);
});

Deno.test("PiecePicker asks a slow peer for no more than a short queue's worth of pieces", () => {
  const piece = 512 * 1024;
  const picker = new PiecePicker({ pieceCount: 64, minShare: 2, pieceBytes: piece });
  picker.setPeerPieces("seeder", ALL(64));
  const first = drain(picker, 24);
  assertEquals(first.length, 4, "unmeasured, a few requests");
  // Measured at 2 MiB/s (2,097 B/ms): a quarter second holds one piece, so one in flight.
  for (const [index] of first) picker.pieceDone(index, "seeder", piece, 250 * 4);
  assertEquals(drain(picker, 24).length, 1);
  assertEquals(queueDepth(2097, piece, 250, 4), 1);
  assertEquals(queueDepth(600 * 1024, piece, 250, 4), 293, "a fast peer is not held back");
  assertEquals(queueDepth(0, piece, 250, 4), 4);
});

Deno.test("PiecePicker retries a failed piece first, on another peer, then drops a failing peer", () => {
  const picker = new PiecePicker({ pieceCount: 6, minShare: 1, peerMaxFailures: 3 });
  picker.setPeerPieces("bad", ALL(6));
  picker.setPeerPieces("good", ALL(6));
  const picks = drain(picker, 2);
  const badPick = picks.find(([, p]) => p === "bad")!;
  const goodPick = picks.find(([, p]) => p === "good")!;
  assertEquals(picker.pieceFailed(badPick[0], "bad", "hash", 1), {
    exhausted: false,
    peerDropped: false,
    peerBanned: false,
  });
  // Only "bad" is free: it gets a fresh piece, not the one it failed.
  assertEquals(picker.pick(2, 1)?.index === badPick[0], false);
  picker.pieceDone(goodPick[0], "good", 10, 2);
  const retry = picker.pick(2, 2)!;
  assertEquals([retry.index, retry.peer], [badPick[0], "good"]);
  picker.pieceFailed(retry.index, "good", "timeout", 3);
  // A corrupt piece counts toward a ban, not toward unreachable.
  assertEquals(picker.peerFailed("bad"), false);
  assertEquals(picker.peerFailed("bad"), false);
  assertEquals(picker.peerFailed("bad"), true);
  assertEquals(picker.isDropped("bad"), true);
  assertEquals(drain(picker, 6).every(([, p]) => p === "good"), true);
});

Deno.test("PiecePicker reports a piece exhausted after maxTries", () => {
  const picker = new PiecePicker({ pieceCount: 1, maxTries: 2, peerMaxFailures: 99 });
  picker.setPeerPieces("a", ALL(1));
  picker.pick(1, 0);
  // A timeout says nothing about the piece: only corrupt copies use up its tries.
  assertEquals(picker.pieceFailed(0, "a", "timeout", 0).exhausted, false);
  picker.pick(1, 0);
  assertEquals(picker.pieceFailed(0, "a", "hash", 0).exhausted, false);
  picker.pick(1, 0);
  assertEquals(picker.pieceFailed(0, "a", "hash", 0).exhausted, true);
  assertEquals(picker.pick(1, 0), null);
});

Deno.test("PiecePicker treats missing as the peer lacking the piece, not a strike", () => {
  const picker = new PiecePicker({ pieceCount: 2, peerMaxFailures: 1 });
  picker.setPeerPieces("a", ALL(2));
  const first = picker.pick(4, 0)!;
  assertEquals(picker.pieceFailed(first.index, "a", "missing", 0), {
    exhausted: false,
    peerDropped: false,
    peerBanned: false,
  });
  assertEquals(drain(picker, 4).map(([i]) => i), [1 - first.index]);
});

Deno.test("PiecePicker enters end-game: a second peer asked for the last in-flight piece", () => {
  const picker = new PiecePicker({ pieceCount: 1, minShare: 1 });
  picker.setPeerPieces("a", ALL(1));
  picker.setPeerPieces("b", ALL(1));
  const first = picker.pick(4, 0)!;
  // Not while the first copy is on time: a second one would be paid for twice.
  assertEquals(picker.pick(4, 100), null);
  const second = picker.pick(4, 1000)!;
  assertEquals([first.endgame, second.endgame, second.index], [false, true, 0]);
  assertEquals(second.peer === first.peer, false);
  assertEquals(picker.pick(4, 2000), null);
  // The first copy in wins; the other is to be cancelled and its bytes never count.
  assertEquals(picker.pieceDone(0, second.peer, 10, 1), { fresh: true, cancel: [first.peer] });
  assertEquals(picker.pieceDone(0, first.peer, 10, 2), { fresh: false, cancel: [] });
  assertEquals(picker.isComplete(), true);
  const bytes = Object.fromEntries(picker.peers().map((p) => [p.id, p.bytes]));
  assertEquals(bytes, { [first.peer]: 0, [second.peer]: 10 });
});

Deno.test("PiecePicker bans a peer after its third corrupt piece, even with good pieces between", () => {
  const picker = new PiecePicker({ pieceCount: 8, minShare: 1, banAfterCorrupt: 3 });
  picker.setPeerPieces("flaky", ALL(8));
  const outcomes = [];
  for (let round = 0; round < 3; round++) {
    const bad = picker.pick(1, round)!;
    outcomes.push(picker.pieceFailed(bad.index, "flaky", "hash", round).peerBanned);
    if (round < 2) {
      const good = picker.pick(1, round)!;
      picker.pieceDone(good.index, "flaky", 10, round);
    }
  }
  assertEquals(outcomes, [false, false, true]);
  assertEquals(picker.peers()[0]?.reason, "banned: 3 corrupt pieces");
  // A ban is final: listing the peer again does not bring it back.
  assertEquals(picker.revivePeer("flaky", 1e9, 0), false);
});

Deno.test("PiecePicker revives an unreachable peer listed again, after a while, and learns pushed haves", () => {
  const picker = new PiecePicker({ pieceCount: 4, minShare: 1, peerMaxFailures: 1 });
  picker.setPeerPieces("p", ONLY(4, [0]));
  assertEquals(picker.peerFailed("p", 100), true);
  assertEquals(picker.dropReasonOf("p"), "unreachable");
  assertEquals(picker.revivePeer("p", 200, 1000), false);
  assertEquals(picker.revivePeer("p", 1200, 1000), true);
  picker.peerHas("p", 3);
  assertEquals(drain(picker, 4), [[3, "p"]]);
});

Deno.test("PiecePicker skips pieces done from disk and ignores dropped peers' bits", () => {
  const picker = new PiecePicker({ pieceCount: 3, minShare: 1 });
  picker.pieceDone(0, null, 10, 0);
  picker.setPeerPieces("a", ONLY(3, [1]));
  picker.setPeerPieces("b", ALL(3));
  picker.dropPeer("b");
  assertEquals(drain(picker, 5), [[1, "a"]]);
  assertEquals(picker.activePeerCount(), 1);
});
