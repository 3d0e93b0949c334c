import assert from "node:assert/strict";
import { planCandidates, retryDelayMs } from "./failover_plan.ts";

const T = ["t1:1", "t2:2", "t3:3"];

Deno.test("planCandidates() keeps the configured order when nothing died", () => {
  assert.deepEqual(
    planCandidates({ trackers: T, suggested: undefined, exclude: [], dead: undefined }),
    T,
  );
});

Deno.test("planCandidates() starts after the dead tracker and leaves it out", () => {
  assert.deepEqual(
    planCandidates({ trackers: T, suggested: undefined, exclude: ["t2:2"], dead: "t2:2" }),
    ["t3:3", "t1:1"],
  );
});

Deno.test("planCandidates() puts the balancer's suggestion first without repeating it", () => {
  assert.deepEqual(
    planCandidates({ trackers: T, suggested: "t1:1", exclude: ["t3:3"], dead: "t3:3" }),
    ["t1:1", "t2:2"],
  );
  assert.deepEqual(
    planCandidates({ trackers: [], suggested: "x:9", exclude: [], dead: undefined }),
    ["x:9"],
  );
});

Deno.test("planCandidates() tries the dead tracker again once it is no longer excluded", () => {
  assert.deepEqual(
    planCandidates({ trackers: ["t1:1"], suggested: undefined, exclude: [], dead: "t1:1" }),
    ["t1:1"],
  );
});

Deno.test("retryDelayMs() doubles and stops at the cap", () => {
  assert.deepEqual([0, 1, 2, 3, 10, 100].map((r) => retryDelayMs(r, 100, 1000)), [
    100,
    200,
    400,
    800,
    1000,
    1000,
  ]);
});
