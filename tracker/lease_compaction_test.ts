import assert from "node:assert/strict";
import { formatStamp } from "./hlc.ts";
import { MAX_PEER_LEASE_MS, type Op } from "./ops.ts";
import { peerKey } from "./peer_key.ts";
import { applyOp, createState, digestState, type TrackerState } from "./state.ts";
import { compactState } from "./state_compaction.ts";
import { deserializeState, serializeState } from "./state_snapshot.ts";
import { leaseLive } from "./state_view.ts";

const T0 = 1_700_000_000_000;
const ADDR = "127.0.0.1:4000";

let seq = 0;
function lease(user: string, atMs: number, ttlMs: number, origin = 1): Op {
  const stamp = formatStamp({ ms: atMs, counter: 0 }, origin);
  return { origin, seq: ++seq, stamp, body: { type: "peer_lease", user, addr: ADDR, ttlMs } };
}

function leaseKeys(state: TrackerState): string[] {
  return [...state.peerLeases.keys()].sort();
}

Deno.test("a peer that left keeps its lease register until a late renewal can no longer revive it", () => {
  const renewal = lease("alice", T0, MAX_PEER_LEASE_MS, 2); // delayed on its way here
  const state = createState();
  applyOp(state, lease("alice", T0 + 1000, 0)); // alice left
  applyOp(state, lease("bob", T0 + 2000, 10_000));
  compactState(state);
  // Dropping "alice left" now would let the older, hour-long renewal in below.
  assert.deepEqual(leaseKeys(state), [peerKey("alice", ADDR), peerKey("bob", ADDR)]);
  applyOp(state, renewal);
  assert.equal(leaseLive(state, "alice", ADDR), false);
});

Deno.test("compaction forgets leases an hour of op time after their op, on every tracker alike", () => {
  const ops = [
    lease("alice", T0, MAX_PEER_LEASE_MS, 2),
    lease("alice", T0 + 1000, 0), // left
    lease("bob", T0 + 2000, 10_000), // lapsed
    lease("carol", T0 + 2000 + MAX_PEER_LEASE_MS, 10_000), // live, and moves the horizon
  ];
  const compacted = createState();
  for (const op of ops.slice(1)) applyOp(compacted, op);
  const dropped = compactState(compacted);
  assert.equal(dropped.leases, 2);
  assert.deepEqual(leaseKeys(compacted), [peerKey("carol", ADDR)]);
  assert.equal(serializeState(compacted).includes("alice"), false);
  // The oldest op arrives last: it is not taken back in.
  applyOp(compacted, ops[0]!);
  assert.deepEqual(leaseKeys(compacted), [peerKey("carol", ADDR)]);
  // A tracker that got every op in order and never compacted sees the same, and writes the
  // same snapshot.
  const plain = createState();
  for (const op of ops) applyOp(plain, op);
  assert.equal(plain.peerLeases.size, 3);
  assert.equal(digestState(plain), digestState(compacted));
  assert.equal(serializeState(plain), serializeState(compacted));
  assert.deepEqual(leaseKeys(deserializeState(serializeState(plain))), [peerKey("carol", ADDR)]);
  assert.equal(leaseLive(plain, "carol", ADDR), true);
});
