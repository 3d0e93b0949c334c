import assert from "node:assert/strict";
import { TrackerPool } from "./pool.ts";

function livePool(loads: Record<string, number>): TrackerPool {
  const pool = new TrackerPool({ maxMisses: 2, maxTrackers: 16 });
  for (const [addr, clients] of Object.entries(loads)) {
    pool.report(addr, clients, 0);
    pool.answered(addr, 0);
  }
  return pool;
}

Deno.test("TrackerPool.pick() hands out the least-loaded live tracker, ties by address", () => {
  const pool = livePool({ "b:1": 2, "a:1": 2, "c:1": 5 });
  assert.equal(pool.pick([]).addr, "a:1");
  pool.report("c:1", 0, 1);
  assert.equal(pool.pick([]).addr, "c:1");
});

Deno.test("TrackerPool.pick() counts hand-outs until the next report", () => {
  const pool = livePool({ "a:1": 0, "b:1": 0, "c:1": 0 });
  const picked = [pool.pick([]), pool.pick([]), pool.pick([])].map((p) => p.addr);
  assert.deepEqual(picked.sort(), ["a:1", "b:1", "c:1"]);
  pool.report("a:1", 0, 1);
  assert.equal(pool.pick([]).addr, "a:1");
});

Deno.test("TrackerPool.pick() skips excluded and out trackers and keeps them", () => {
  const pool = livePool({ "a:1": 0, "b:1": 3, "c:1": 9 });
  assert.equal(pool.pick(["a:1"]).addr, "b:1");
  pool.missed("b:1");
  assert.equal(pool.missed("b:1"), "out");
  assert.equal(pool.pick(["a:1"]).addr, "c:1");
  assert.throws(() => pool.pick(["a:1", "c:1"]), { code: "UNAVAILABLE" });
  assert.deepEqual(pool.list().map((t) => [t.addr, t.live]), [
    ["a:1", true],
    ["b:1", false],
    ["c:1", true],
  ]);
  assert.equal(pool.answered("b:1", 5), "back");
  assert.equal(pool.pick(["a:1"]).addr, "b:1");
});

Deno.test("TrackerPool.pick() explains why nothing can be handed out", () => {
  const empty = new TrackerPool({ maxMisses: 1, maxTrackers: 4 });
  assert.throws(() => empty.pick([]), /none has registered/);
  const pool = livePool({ "a:1": 0, "b:1": 0, "c:1": 0 });
  for (const addr of ["a:1", "b:1", "c:1"]) pool.missed(addr), pool.missed(addr);
  assert.throws(() => pool.pick([]), {
    code: "UNAVAILABLE",
    message: "No live tracker: all 3 known trackers are out",
  });
});
