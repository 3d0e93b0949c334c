/**
 * Convergence: the same set of ops, delivered in any order and with
 * duplicates, gives the same state. The history comes from three simulated
 * trackers with skewed clocks that run random commands, exchange ops only now
 * and then (so many ops are concurrent and conflicting), and start with a
 * partition in which two of them create the same user and the same group.
 */
import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import type { Manifest } from "../protocol/manifest.ts";
import { credentialsOf, sessionUser } from "./decide.ts";
import type { Op } from "./ops.ts";
import { applyOp, createState, digestState } from "./state.ts";
import { deserializeState, serializeState } from "./state_snapshot.ts";
import { groupView, sharedBy, visibleGroups } from "./state_view.ts";
import {
  type Command,
  manifestOf,
  seededRandom,
  shuffled,
  SimTracker,
  syncAll,
} from "./_test_helpers.ts";

const USERS = ["u1", "u2", "u3", "u4", "u5", "u6"];
const GROUPS = ["ga", "gb", "gc"];
const FILES = ["f1", "f2", "f3"];
const CONTENTS: Manifest[] = ["c1", "c2", "c3"].map((c) => manifestOf(c));
const ORDERS = 60;

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function randomCommand(random: () => number, t: SimTracker): Command {
  const group = pick(GROUPS, random);
  const roll = random();
  if (roll < 0.1) return { cmd: "create_group", group };
  if (roll < 0.25) return { cmd: "join_group", group };
  if (roll < 0.32) return { cmd: "leave_group", group };
  if (roll < 0.5) {
    const pending = groupView(t.state, group)?.pending ?? [];
    const user = pending.length > 0 ? pick(pending, random) : pick(USERS, random);
    return { cmd: random() < 0.8 ? "accept_request" : "reject_request", group, user };
  }
  const name = pick(FILES, random);
  if (roll < 0.75) {
    const addr = `127.0.0.1:${4000 + Math.floor(random() * 3)}`;
    // Downloads in progress: f3 is announced by partial peers.
    const partial = name === "f3" ? { partial: true as const } : {};
    return { cmd: "upload_file", group, name, addr, manifest: pick(CONTENTS, random), ...partial };
  }
  const addr = `127.0.0.1:${4000 + Math.floor(roll * 1000) % 3}`;
  if (roll < 0.8) return { cmd: "stop_share", group, name };
  if (roll < 0.82) return { cmd: "stop_share", group, name, addr };
  if (roll < 0.86) return { cmd: "logout" };
  if (roll < 0.88) return { cmd: "keep_alive", addr };
  if (roll < 0.9) return { cmd: "keep_alive", addr, leaving: true };
  return { cmd: pick(["list_groups", "list_files", "list_requests"] as const, random), group };
}

/** Runs one random command as a random user; refusals are part of a realistic history. */
function step(random: () => number, t: SimTracker, tokens: Map<string, string>): void {
  const user = pick(USERS, random);
  const key = `${t.origin}/${user}`;
  let token = tokens.get(key);
  try {
    if (token === undefined || sessionOwnerOf(t, token) !== user) {
      token = t.login(user);
      tokens.set(key, token);
    }
    t.run(token, randomCommand(random, t));
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
  }
}

function sessionOwnerOf(t: SimTracker, token: string): string | undefined {
  try {
    return sessionUser(t.state, token);
  } catch {
    return undefined;
  }
}

function deliverSome(random: () => number, trackers: SimTracker[]): void {
  const from = pick(trackers, random);
  const to = pick(trackers, random);
  for (const op of from.log) if (random() < 0.7) to.receive(op);
}

function buildHistory(seed: number) {
  const random = seededRandom(seed);
  const trackers = [1, 2, 3].map((origin) =>
    new SimTracker(origin, 1_700_000_000_000 + origin * 37)
  );
  const [a, b] = trackers as [SimTracker, SimTracker];
  // Partition: a and b create the same user and group without seeing each other.
  a.createUser("dave", "on-a");
  b.createUser("dave", "on-b");
  a.run(a.login("dave"), { cmd: "create_group", group: "gx" });
  b.run(b.login("dave"), { cmd: "create_group", group: "gx" });
  for (const user of USERS) trackers[USERS.indexOf(user) % 3]?.createUser(user);
  syncAll(trackers);
  const tokens = new Map<string, string>();
  for (let i = 0; i < 800; i++) {
    const t = pick(trackers, random);
    t.nowMs += Math.floor(random() * 3);
    step(random, t, tokens);
    if (random() < 0.15) deliverSome(random, trackers);
  }
  syncAll(trackers);
  return trackers;
}

function uniqueOps(trackers: SimTracker[]): Op[] {
  const ops = new Map<string, Op>();
  for (const t of trackers) for (const op of t.log) ops.set(`${op.origin}:${op.seq}`, op);
  return [...ops.values()];
}

Deno.test("applyOp() converges: trackers that saw the same ops have the same digest", () => {
  const trackers = buildHistory(2024);
  const digests = trackers.map((t) => digestState(t.state));
  assert.equal(new Set(digests).size, 1);
  // The history is realistic: groups with several members and shared files survive it.
  const views = visibleGroups(trackers[0]?.state ?? createState());
  assert.ok(views.length >= 3, `visible groups: ${views.map((v) => v.name)}`);
  assert.ok(views.some((v) => v.members.length >= 3), "a group with three members or more");
  const shares = views.flatMap((v) => v.members.flatMap((m) => sharedBy(v.record, m)));
  assert.ok(shares.length >= 3, `active shares: ${shares.length}`);
});

Deno.test("applyOp() converges over 60 random delivery orders with duplicates", () => {
  const trackers = buildHistory(7);
  const ops = uniqueOps(trackers);
  const expected = digestState(trackers[0]?.state ?? createState());
  const random = seededRandom(31337);
  for (let i = 0; i < ORDERS; i++) {
    const dupes = ops.filter(() => random() < 0.2).map((op) => structuredClone(op));
    const state = createState();
    for (const op of shuffled([...ops, ...dupes], random)) applyOp(state, op);
    assert.equal(digestState(state), expected, `order ${i}`);
  }
});

Deno.test("applyOp() resolves concurrent create_user and create_group to the smaller stamp", () => {
  const trackers = buildHistory(11);
  const ops = uniqueOps(trackers);
  const userOps = ops.filter((op) => op.body.type === "create_user" && op.body.user === "dave");
  const groupOps = ops.filter((op) => op.body.type === "create_group" && op.body.group === "gx");
  assert.equal(userOps.length, 2);
  const firstUser = userOps.reduce((x, y) => (x.stamp < y.stamp ? x : y));
  const firstGroup = groupOps.reduce((x, y) => (x.stamp < y.stamp ? x : y));
  const random = seededRandom(5);
  for (let i = 0; i < 10; i++) {
    const state = createState();
    for (const op of shuffled(ops, random)) applyOp(state, op);
    assert.equal(firstUser.body.type, "create_user");
    const { salt, hash } = firstUser.body as { salt: string; hash: string };
    assert.deepEqual(credentialsOf(state, "dave"), { salt, hash });
    const epochs = [...(state.groups.get("gx")?.creates.keys() ?? [])].sort();
    assert.equal(epochs[0], firstGroup.stamp);
  }
  for (const t of trackers) {
    assert.equal(credentialsOf(t.state, "dave")?.hash, "hash-on-a");
  }
});

Deno.test("serializeState() round-trips a converged history", () => {
  const trackers = buildHistory(99);
  const state = trackers[1]?.state ?? createState();
  const copy = deserializeState(serializeState(state));
  assert.equal(digestState(copy), digestState(state));
  assert.equal(serializeState(copy), serializeState(state));
});
