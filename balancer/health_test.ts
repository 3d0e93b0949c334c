import assert from "node:assert/strict";
import { HealthTable, type Liveness, type Transition } from "./health.ts";

type Step =
  | { op: "report"; clients?: number; at?: number }
  | { op: "answer"; at?: number; expect: Transition }
  | { op: "miss"; expect: Transition }
  | { op: "forget"; at: number; afterMs: number; expect: string[] };

interface Case {
  name: string;
  steps: Step[];
  state: Liveness | "gone";
  misses?: number;
}

const A = "127.0.0.1:7001";

const CASES: Case[] = [
  { name: "a registered tracker is new until it answers", steps: [{ op: "report" }], state: "new" },
  {
    name: "a new tracker that answers is up",
    steps: [{ op: "report" }, { op: "answer", expect: "up" }],
    state: "live",
  },
  {
    name: "two misses of three leave a live tracker live",
    steps: [
      { op: "report" },
      { op: "answer", expect: "up" },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "none" },
    ],
    state: "live",
    misses: 2,
  },
  {
    name: "an answer between misses resets the count",
    steps: [
      { op: "report" },
      { op: "answer", expect: "up" },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "none" },
      { op: "answer", expect: "none" },
      { op: "miss", expect: "none" },
    ],
    state: "live",
    misses: 1,
  },
  {
    name: "the third miss in a row takes it out, further misses change nothing",
    steps: [
      { op: "report" },
      { op: "answer", expect: "up" },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "out" },
      { op: "miss", expect: "none" },
    ],
    state: "out",
    misses: 4,
  },
  {
    name: "an out tracker that answers again is back",
    steps: [
      { op: "report" },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "out" },
      { op: "answer", expect: "back" },
    ],
    state: "live",
    misses: 0,
  },
  {
    name: "a load report does not bring an out tracker back",
    steps: [
      { op: "report" },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "out" },
      { op: "report", clients: 4 },
    ],
    state: "out",
  },
  {
    name: "an out tracker silent for long enough is forgotten",
    steps: [
      { op: "report", at: 0 },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "none" },
      { op: "miss", expect: "out" },
      { op: "forget", at: 59_999, afterMs: 60_000, expect: [] },
      { op: "forget", at: 60_000, afterMs: 60_000, expect: [A] },
    ],
    state: "gone",
  },
  {
    name: "a live tracker is never forgotten",
    steps: [
      { op: "report", at: 0 },
      { op: "answer", at: 0, expect: "up" },
      { op: "forget", at: 1e9, afterMs: 1, expect: [] },
    ],
    state: "live",
  },
];

for (const c of CASES) {
  Deno.test(`HealthTable: ${c.name}`, () => {
    const table = new HealthTable({ maxMisses: 3, maxTrackers: 8 });
    for (const [i, step] of c.steps.entries()) {
      const where = `step ${i} (${step.op})`;
      if (step.op === "report") table.report(A, step.clients ?? 0, step.at ?? 0);
      if (step.op === "answer") assert.equal(table.answered(A, step.at ?? 0), step.expect, where);
      if (step.op === "miss") assert.equal(table.missed(A), step.expect, where);
      if (step.op === "forget") {
        assert.deepEqual(table.forget(step.at, step.afterMs), step.expect, where);
      }
    }
    assert.equal(table.get(A)?.state ?? "gone", c.state);
    if (c.misses !== undefined) assert.equal(table.get(A)?.misses, c.misses);
  });
}

Deno.test("HealthTable.report() refuses a tracker beyond the table size", () => {
  const table = new HealthTable({ maxMisses: 3, maxTrackers: 2 });
  table.report("h:1", 0, 0);
  table.report("h:2", 0, 0);
  table.report("h:1", 5, 1); // a known one still reports
  assert.throws(() => table.report("h:3", 0, 0), { code: "UNAVAILABLE" });
  assert.equal(table.get("h:1")?.clients, 5);
});

Deno.test("HealthTable ignores pings for unknown trackers", () => {
  const table = new HealthTable({ maxMisses: 1, maxTrackers: 2 });
  assert.equal(table.answered("x:1", 0), "none");
  assert.equal(table.missed("x:1"), "none");
  assert.deepEqual(table.rows(), []);
});
