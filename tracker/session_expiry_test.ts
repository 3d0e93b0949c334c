import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { decideLogin, sessionUser } from "./decide.ts";
import { applyOp, createState, digestState, pruneSessions } from "./state.ts";
import { deserializeState, serializeState } from "./state_snapshot.ts";
import { hashToken } from "./token_hash.ts";
import { SimTracker, syncAll } from "./_test_helpers.ts";
import type { Op } from "./ops.ts";

const T0 = 1_700_000_000_000;
const HOUR_MS = 60 * 60 * 1000;

function notLoggedIn(e: unknown): boolean {
  return e instanceof AppError && e.code === "NOT_LOGGED_IN";
}

function loggedIn(t: SimTracker, user: string, expiresMs: number): string {
  const token = `token-${user}-${expiresMs}`;
  t.commit(decideLogin(t.state, user, { token, expiresMs }));
  return token;
}

Deno.test("decideLogin() puts only the token's hash in the op and the state", () => {
  const t = new SimTracker(1, T0);
  t.createUser("alice");
  const token = loggedIn(t, "alice", T0 + HOUR_MS);
  const text = JSON.stringify(t.log) + serializeState(t.state);
  assert.equal(text.includes(token), false);
  assert.equal(text.includes(hashToken(token)), true);
  assert.equal(sessionUser(t.state, token, T0), "alice");
});

Deno.test("sessionUser() refuses a session past its expiry by the reader's clock", () => {
  const t = new SimTracker(1, T0);
  t.createUser("alice");
  const token = loggedIn(t, "alice", T0 + HOUR_MS);
  assert.equal(sessionUser(t.state, token, T0 + HOUR_MS - 1), "alice");
  assert.throws(() => sessionUser(t.state, token, T0 + HOUR_MS), notLoggedIn);
});

Deno.test("applyOp() ends sessions by the latest op stamp; pruning and snapshots drop them", () => {
  const t = new SimTracker(1, T0);
  t.createUser("alice");
  t.createUser("bob");
  const short = loggedIn(t, "alice", T0 + HOUR_MS);
  const long = loggedIn(t, "bob", T0 + 48 * HOUR_MS);
  t.nowMs = T0 + 2 * HOUR_MS;
  t.createUser("carol"); // any op stamped after the expiry moves the horizon past it
  assert.throws(() => sessionUser(t.state, short), notLoggedIn);
  assert.equal(sessionUser(t.state, long), "bob");
  const snapshot = serializeState(t.state);
  assert.equal(snapshot.includes(hashToken(short)), false);
  assert.equal(snapshot.includes(hashToken(long)), true);
  const digest = digestState(t.state);
  assert.equal(pruneSessions(t.state), 1);
  assert.equal(t.state.sessions.has(hashToken(short)), false);
  assert.equal(digestState(t.state), digest);
  assert.equal(serializeState(t.state), snapshot);
});

Deno.test("applyOp() converges on sessions whatever the order of open, close and expiry", () => {
  const a = new SimTracker(1, T0);
  const b = new SimTracker(2, T0 + 5);
  a.createUser("alice");
  syncAll([a, b]);
  const closed = loggedIn(a, "alice", T0 + HOUR_MS);
  const open = loggedIn(a, "alice", T0 + 3 * HOUR_MS);
  const expired = loggedIn(a, "alice", T0 + HOUR_MS + 1);
  syncAll([a, b]);
  b.run(closed, { cmd: "logout" });
  b.nowMs = T0 + 2 * HOUR_MS;
  b.createUser("late"); // stamped after two of the sessions expired
  const ops: Op[] = [...a.log, ...b.log.filter((op) => op.origin === 2)];
  const orders = [ops, ops.slice().reverse(), [...ops.slice(3), ...ops.slice(0, 3)]];
  const results = orders.map((order) => {
    const state = createState();
    for (const op of order) applyOp(state, op);
    return state;
  });
  for (const state of results) {
    assert.equal(digestState(state), digestState(results[0]!));
    assert.equal(serializeState(state), serializeState(results[0]!));
    assert.equal(sessionUser(state, open), "alice");
    for (const gone of [closed, expired]) {
      assert.throws(() => sessionUser(state, gone), notLoggedIn);
    }
  }
});

Deno.test("a closed session stays closed when its open arrives after the close", () => {
  const a = new SimTracker(1, T0);
  a.createUser("alice");
  const token = loggedIn(a, "alice", T0 + HOUR_MS);
  a.run(token, { cmd: "logout" });
  const [create, openOp, closeOp] = a.log as [Op, Op, Op];
  const state = createState();
  for (const op of [create, closeOp, openOp]) applyOp(state, op);
  assert.throws(() => sessionUser(state, token), notLoggedIn);
  const copy = deserializeState(serializeState(state));
  applyOp(copy, openOp);
  assert.throws(() => sessionUser(copy, token), notLoggedIn);
  // Its hash stays only until the session would have expired.
  assert.equal(serializeState(state).includes(hashToken(token)), true);
  a.nowMs = T0 + HOUR_MS;
  a.createUser("bob");
  applyOp(state, a.log.at(-1) as Op);
  assert.equal(serializeState(state).includes(hashToken(token)), false);
});
