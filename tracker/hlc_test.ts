import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { formatStamp, initialClock, observe, parseStamp, tick } from "./hlc.ts";
import { seededRandom } from "./_test_helpers.ts";

const NOW = 1_700_000_000_000;

Deno.test("tick() follows the wall clock and counts within a millisecond", () => {
  const a = tick(initialClock(), NOW);
  assert.deepEqual(a, { ms: NOW, counter: 0 });
  assert.deepEqual(tick(a, NOW), { ms: NOW, counter: 1 });
  assert.deepEqual(tick(a, NOW + 5), { ms: NOW + 5, counter: 0 });
});

Deno.test("tick() stays monotonic when the wall clock goes back", () => {
  let clock = tick(initialClock(), NOW);
  let last = formatStamp(clock, 1);
  const random = seededRandom(7);
  for (let i = 0; i < 2000; i++) {
    clock = tick(clock, NOW + Math.floor((random() - 0.6) * 1000));
    const stamp = formatStamp(clock, 1);
    assert.ok(stamp > last, `${stamp} > ${last}`);
    last = stamp;
  }
});

Deno.test("tick() borrows the next millisecond when the counter is full", () => {
  assert.deepEqual(tick({ ms: NOW, counter: 999_999 }, NOW), { ms: NOW + 1, counter: 0 });
});

Deno.test("observe() moves the clock past a remote stamp from the future", () => {
  const local = tick(initialClock(), NOW);
  const remote = formatStamp({ ms: NOW + 10_000, counter: 42 }, 3);
  const after = observe(local, remote, NOW);
  assert.ok(formatStamp(after, 1) > remote);
  assert.ok(formatStamp(tick(after, NOW), 1) > remote);
});

Deno.test("observe() keeps the clock past its own stamps and the wall clock", () => {
  const local = { ms: NOW, counter: 5 };
  const old = formatStamp({ ms: NOW - 100, counter: 0 }, 2);
  const a = observe(local, old, NOW);
  assert.ok(formatStamp(a, 1) > formatStamp(local, 1));
  assert.deepEqual(observe(local, old, NOW + 50), { ms: NOW + 50, counter: 0 });
  const same = formatStamp({ ms: NOW, counter: 9 }, 2);
  assert.deepEqual(observe(local, same, NOW), { ms: NOW, counter: 10 });
});

Deno.test("stamps sort as strings in clock order, then by origin", () => {
  const clocks = [
    { ms: 9, counter: 0 },
    { ms: 10, counter: 0 },
    { ms: 10, counter: 1 },
    { ms: 10, counter: 10 },
    { ms: 100, counter: 0 },
    { ms: NOW, counter: 2 },
  ];
  const stamps = clocks.flatMap((c) => [formatStamp(c, 1), formatStamp(c, 12)]);
  assert.deepEqual(stamps.slice().sort(), stamps);
  assert.equal(formatStamp({ ms: NOW, counter: 2 }, 7), "001700000000000.000002.00007");
});

Deno.test("parseStamp() reads back what formatStamp() wrote", () => {
  const stamp = formatStamp({ ms: NOW, counter: 123 }, 45);
  assert.deepEqual(parseStamp(stamp), { ms: NOW, counter: 123, origin: 45 });
});

Deno.test("parseStamp() refuses malformed stamps with BAD_REQUEST", () => {
  const bad: unknown[] = ["", "1.2.3", "000000000000001.000001.0000x", "a".repeat(28), 5, null, {}];
  for (const value of bad) {
    assert.throws(
      () => parseStamp(value as string),
      (e) => e instanceof AppError && e.code === "BAD_REQUEST",
    );
  }
});

Deno.test("formatStamp() refuses parts that do not fit", () => {
  const cases = [
    { clock: { ms: -1, counter: 0 }, origin: 1 },
    { clock: { ms: 1e16, counter: 0 }, origin: 1 },
    { clock: { ms: 1, counter: 1e6 }, origin: 1 },
    { clock: { ms: 1, counter: 0 }, origin: 100_000 },
    { clock: { ms: 1.5, counter: 0 }, origin: 1 },
  ];
  for (const { clock, origin } of cases) {
    assert.throws(() => formatStamp(clock, origin), (e) => e instanceof AppError);
  }
});

Deno.test("observe() refuses a stamp further ahead than maxAheadMs", () => {
  const remote = formatStamp({ ms: NOW + 60_000, counter: 0 }, 2);
  assert.throws(
    () => observe(initialClock(), remote, NOW, 30_000),
    (e) => e instanceof AppError && e.code === "BAD_REQUEST",
  );
  assert.equal(observe(initialClock(), remote, NOW, 120_000).ms, NOW + 60_000);
});
