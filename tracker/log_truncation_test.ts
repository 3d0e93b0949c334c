import assert from "node:assert/strict";
import { needsSnapshot, truncationPoint } from "./log_truncation.ts";

Deno.test("truncationPoint() cuts behind the snapshot up to what every peer holds, within keepOps", () => {
  const snapshot = new Map([[1, 100], [2, 50]]);
  // No peer: everything behind the snapshot may go.
  assert.deepEqual(truncationPoint(snapshot, new Map(), [], 10), snapshot);
  // Peers hold less: keep what they lack...
  const peers = [new Map([[1, 95], [2, 50]]), new Map([[1, 97]])];
  assert.deepEqual(truncationPoint(snapshot, new Map(), peers, 10), new Map([[1, 95], [2, 40]]));
  // ...but at most keepOps of it; and nothing when the log starts there already.
  assert.deepEqual(truncationPoint(snapshot, new Map([[2, 47]]), peers, 3), new Map([[1, 97]]));
});

Deno.test("needsSnapshot() is true when a peer lacks ops the log no longer has", () => {
  const base = new Map([[1, 10]]);
  assert.equal(needsSnapshot(new Map([[1, 10]]), base), false);
  assert.equal(needsSnapshot(new Map([[1, 9], [2, 99]]), base), true);
  assert.equal(needsSnapshot(new Map(), base), true);
  assert.equal(needsSnapshot(new Map(), new Map()), false);
});
