import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import type { Op } from "./ops.ts";
import { applyOp, createState, digestState, type TrackerState } from "./state.ts";
import { deserializeState, serializeState } from "./state_snapshot.ts";
import { credentialsOf, sessionUser } from "./decide.ts";
import { manifestOf, seededRandom, shuffled, SimTracker, syncAll } from "./_test_helpers.ts";

const ADDR = "127.0.0.1:4001";

function replay(ops: Op[]): TrackerState {
  const state = createState();
  for (const op of ops) applyOp(state, op);
  return state;
}

/** Two trackers that both know users alice, bob and carol, and group g1 of alice. */
function pair() {
  const a = new SimTracker(1);
  const b = new SimTracker(2, 1_700_000_000_500);
  for (const user of ["alice", "bob", "carol"]) a.createUser(user);
  const ta = a.login("alice");
  a.run(ta, { cmd: "create_group", group: "g1" });
  syncAll([a, b]);
  return { a, b, ta };
}

Deno.test("applyOp() ignores a duplicate join_group", () => {
  const { a } = pair();
  const tb = a.login("bob");
  a.run(tb, { cmd: "join_group", group: "g1" });
  const op = a.log.at(-1) as Op;
  const before = serializeState(a.state);
  applyOp(a.state, op);
  applyOp(a.state, structuredClone(op));
  assert.equal(serializeState(a.state), before);
});

Deno.test("applyOp() gives the same state in both orders of two concurrent ops", () => {
  const { a, b, ta } = pair();
  const tb = b.login("bob");
  b.run(tb, { cmd: "join_group", group: "g1" });
  a.run(ta, { cmd: "leave_group", group: "g1" });
  const ops = [...a.log, ...b.log];
  assert.equal(digestState(replay(ops)), digestState(replay(ops.slice().reverse())));
});

Deno.test("applyOp() lets the first creation of a user win; the loser's sessions end", () => {
  const a = new SimTracker(1);
  const b = new SimTracker(2);
  b.nowMs += 10; // b creates later
  a.createUser("dave", "first");
  b.createUser("dave", "second");
  const lateToken = b.login("dave");
  syncAll([a, b]);
  for (const t of [a, b]) {
    assert.deepEqual(credentialsOf(t.state, "dave"), { salt: "salt-dave", hash: "hash-first" });
    assert.throws(
      () => sessionUser(t.state, lateToken),
      (e) => e instanceof AppError && e.code === "NOT_LOGGED_IN",
    );
  }
  assert.equal(digestState(a.state), digestState(b.state));
});

Deno.test("applyOp() lets the first creation of a group win; the loser's ops stay invisible", () => {
  const { a, b } = pair();
  const tb = b.login("bob");
  const tc = b.login("carol");
  b.nowMs += 10;
  b.run(tb, { cmd: "create_group", group: "g2" });
  b.run(tc, { cmd: "join_group", group: "g2" });
  const ta = a.login("alice");
  a.run(ta, { cmd: "create_group", group: "g2" });
  syncAll([a, b]);
  for (const t of [a, b]) {
    assert.deepEqual(t.run(tb, { cmd: "list_groups" }).groups, [
      { group: "g1", owner: "alice", members: 1, role: "none" },
      { group: "g2", owner: "alice", members: 1, role: "none" },
    ]);
  }
  assert.equal(digestState(a.state), digestState(b.state));
});

Deno.test("applyOp() never leaves a group ownerless when owner and heir leave concurrently", () => {
  const { a, b, ta } = pair();
  const tb = a.login("bob");
  const tc = a.login("carol");
  for (const token of [tb, tc]) a.run(token, { cmd: "join_group", group: "g1" });
  a.run(ta, { cmd: "accept_request", group: "g1", user: "bob" });
  a.run(ta, { cmd: "accept_request", group: "g1", user: "carol" });
  syncAll([a, b]);
  assert.equal(a.run(ta, { cmd: "leave_group", group: "g1" }).newOwner, "bob");
  b.run(tb, { cmd: "leave_group", group: "g1" });
  syncAll([a, b]);
  for (const t of [a, b]) {
    assert.deepEqual(t.run(tc, { cmd: "list_groups" }).groups, [
      { group: "g1", owner: "carol", members: 1, role: "owner" },
    ]);
  }
});

Deno.test("applyOp() hides a group emptied by concurrent leaves; it can be created again", () => {
  const { a, b, ta } = pair();
  const tb = a.login("bob");
  a.run(tb, { cmd: "join_group", group: "g1" });
  a.run(ta, { cmd: "accept_request", group: "g1", user: "bob" });
  syncAll([a, b]);
  a.run(ta, { cmd: "leave_group", group: "g1" });
  b.run(tb, { cmd: "leave_group", group: "g1" });
  syncAll([a, b]);
  assert.deepEqual(a.run(tb, { cmd: "list_groups" }).groups, []);
  b.run(tb, { cmd: "create_group", group: "g1" });
  syncAll([a, b]);
  for (const t of [a, b]) {
    assert.equal(t.run(ta, { cmd: "list_groups" }).groups[0]?.owner, "bob");
  }
  assert.equal(digestState(a.state), digestState(b.state));
});

Deno.test("applyOp() keeps one content per name when two trackers took different ones", () => {
  const { a, b, ta } = pair();
  const tb = a.login("bob");
  a.run(tb, { cmd: "join_group", group: "g1" });
  a.run(ta, { cmd: "accept_request", group: "g1", user: "bob" });
  syncAll([a, b]);
  const first = manifestOf("first");
  a.run(ta, { cmd: "upload_file", group: "g1", name: "f", addr: ADDR, manifest: first });
  b.nowMs += 5;
  b.run(tb, { cmd: "upload_file", group: "g1", name: "f", addr: ADDR, manifest: manifestOf("x") });
  syncAll([a, b]);
  for (const t of [a, b]) {
    const reply = t.run(tb, { cmd: "download_file", group: "g1", name: "f" });
    assert.equal(reply.manifest.fileHash, first.fileHash);
    assert.deepEqual(reply.peers, [{ user: "alice", addr: ADDR }]);
  }
  assert.equal(digestState(a.state), digestState(b.state));
});

Deno.test("applyOp() accepts ops about an epoch before the op that created it", () => {
  const { a, b, ta } = pair();
  const tb = a.login("bob");
  a.run(ta, { cmd: "create_group", group: "g3" });
  a.run(tb, { cmd: "join_group", group: "g3" });
  a.run(ta, { cmd: "accept_request", group: "g3", user: "bob" });
  const fresh = replay(shuffled(a.log, seededRandom(1)).reverse());
  assert.equal(digestState(fresh), digestState(a.state));
  assert.notEqual(digestState(b.state), digestState(a.state));
});

Deno.test("serializeState() round-trips: same digest, same text, same behaviour", () => {
  const { a, ta } = pair();
  a.run(ta, { cmd: "upload_file", group: "g1", name: "f", addr: ADDR, manifest: manifestOf("f") });
  const text = serializeState(a.state);
  const copy = deserializeState(text);
  assert.equal(digestState(copy), digestState(a.state));
  assert.equal(serializeState(copy), text);
  assert.equal(sessionUser(copy, ta), "alice");
  // The token index is rebuilt: a last logout still stops the shares.
  a.state = copy;
  a.run(ta, { cmd: "logout" });
  assert.deepEqual(a.run(a.login("alice"), { cmd: "list_files", group: "g1" }).files, []);
});

Deno.test("deserializeState() refuses what is not a snapshot with BAD_REQUEST", () => {
  for (const text of ["", "{", "[]", "null", '{"version":1}', '{"version":2,"users":5}']) {
    assert.throws(
      () => deserializeState(text),
      (e) => e instanceof AppError && e.code === "BAD_REQUEST",
      text,
    );
  }
});

Deno.test("digestState() of an empty state is stable", () => {
  assert.equal(
    digestState(createState()),
    digestState(deserializeState(serializeState(createState()))),
  );
});
