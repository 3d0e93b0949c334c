import assert from "node:assert/strict";
import { formatStamp } from "./hlc.ts";
import { OpScreen, type ScreenedReplica } from "./op_screen.ts";
import type { Op } from "./ops.ts";

const NOW = 1_800_000_000_000;

function op(origin: number, seq: number, group: string, ms = NOW): Op {
  const stamp = formatStamp({ ms, counter: seq }, origin);
  return { origin, seq, stamp, body: { type: "create_group", group, owner: "alice" } };
}

/** A replica of tracker 1 holding ops 1/1 and 2/1. */
function setup() {
  const held = [op(1, 1, "mine"), op(2, 1, "theirs")];
  const replica: ScreenedReplica = {
    id: 1,
    held: new Map([[1, 1], [2, 1]]),
    opAt: (origin, seq) => held.find((o) => o.origin === origin && o.seq === seq),
  };
  const log: string[] = [];
  const screen = new OpScreen(replica, {
    maxClockSkewMs: 60_000,
    nowMs: () => NOW,
    log: (line) => log.push(line),
  });
  return { screen, log };
}

Deno.test("OpScreen admits new ops and drops plain duplicates silently", () => {
  const { screen, log } = setup();
  const { admitted, paused } = screen.screen([op(2, 1, "theirs"), op(2, 2, "next")], 2);
  assert.deepEqual(admitted.map((o) => `${o.origin}/${o.seq}`), ["2/2"]);
  assert.deepEqual(paused, []);
  assert.equal(screen.conflicts().count, 0);
  assert.deepEqual(log, []);
});

Deno.test("OpScreen refuses an op that differs from the one held at its place, once", () => {
  const { screen, log } = setup();
  const forged = { ...op(2, 1, "forged") };
  for (let i = 0; i < 3; i++) assert.deepEqual(screen.screen([forged], 3).admitted, []);
  const { count, recent } = screen.conflicts();
  assert.equal(count, 1, "offered again after a reconnect, it counts once");
  assert.deepEqual(recent.map((c) => [c.origin, c.seq, c.from]), [[2, 1, 3]]);
  assert.equal(log.length, 1);
  // Key order alone is no difference.
  const held = op(2, 1, "theirs");
  const reordered = { body: held.body, stamp: held.stamp, seq: 1, origin: 2 };
  assert.deepEqual(setup().screen.screen([reordered], 3).admitted, []);
});

Deno.test("OpScreen refuses an op in the receiver's own name that it never made", () => {
  const { screen } = setup();
  const { admitted, paused } = screen.screen([op(1, 2, "claimed"), op(3, 1, "fine")], 2);
  assert.deepEqual(admitted.map((o) => o.origin), [3]);
  assert.deepEqual(paused, [1]);
  assert.match(screen.conflicts().recent[0]!.reason, /this tracker/);
});

Deno.test("OpScreen holds back an origin stamped past the allowed skew, not the others", () => {
  const { screen, log } = setup();
  const batch = [
    op(3, 1, "ok", NOW + 59_000),
    op(3, 2, "ahead", NOW + 400 * 86_400_000),
    op(3, 3, "after", NOW),
    op(4, 1, "other"),
    op(5, 1, "end", 999_999_999_999_999),
  ];
  const { admitted, paused } = screen.screen(batch, 3);
  assert.deepEqual(admitted.map((o) => `${o.origin}/${o.seq}`), ["3/1", "4/1"]);
  assert.deepEqual(paused.sort(), [3, 5]);
  assert.equal(screen.conflicts().count, 0, "skew is no conflict");
  assert.ok(log.some((l) => l.includes("op 3/2") && l.includes("ahead")));
  screen.screen(batch, 3);
  assert.equal(log.length, 2, "one skew line per origin per minute");
});
