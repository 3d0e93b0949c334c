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
import { MAX_PEER_LEASE_MS, type Op } from "./ops.ts";
import { applyOp, createState, digestState, mergeState } from "./state.ts";
import { compactState } from "./state_compaction.ts";
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

/** What compactions in a history dropped. */
interface Dropped {
  manifests: number;
  leases: number;
}

/**
 * Runs a random history; with `compactions`, trackers compact at random points and count it.
 * Now and then a tracker's clock jumps by more than the longest lease, so leases get forgotten.
 */
function buildHistory(seed: number, compactions?: Dropped) {
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
    t.nowMs += random() < 0.01
      ? MAX_PEER_LEASE_MS + Math.floor(random() * 5000)
      : Math.floor(random() * 3);
    step(random, t, tokens);
    if (random() < 0.15) deliverSome(random, trackers);
    if (compactions !== undefined && random() < 0.05) {
      const dropped = compactState(pick(trackers, random).state);
      compactions.manifests += dropped.manifests.length;
      compactions.leases += dropped.leases;
    }
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

Deno.test("compaction at random points on each tracker keeps convergence with the same ops uncompacted", () => {
  const compactions = { manifests: 0, leases: 0 };
  for (const seed of [3, 2024, 77]) {
    const trackers = buildHistory(seed, compactions);
    const digests = trackers.map((t) => digestState(t.state));
    assert.equal(new Set(digests).size, 1, `seed ${seed}`);
    // The same ops applied without any compaction see the same.
    const plain = createState();
    for (const op of uniqueOps(trackers)) applyOp(plain, op);
    assert.equal(digestState(plain), digests[0], `seed ${seed}`);
    // And once compacted, the very same state: every tracker forgot the same leases.
    compactState(plain);
    for (const t of trackers) {
      compactState(t.state);
      assert.equal(serializeState(t.state), serializeState(plain), `seed ${seed}`);
      assert.deepEqual([...t.state.peerLeases.keys()].sort(), [...plain.peerLeases.keys()].sort());
    }
  }
  assert.ok(compactions.manifests > 0, "compaction dropped no manifest in any history");
  assert.ok(compactions.leases > 0, "compaction forgot no peer lease in any history");
});

Deno.test("compaction at random points during shuffled delivery with duplicates keeps the digest", () => {
  const trackers = buildHistory(7);
  const ops = uniqueOps(trackers);
  const expected = digestState(trackers[0]?.state ?? createState());
  const random = seededRandom(4242);
  let dropped = 0;
  let leases = 0;
  for (let i = 0; i < ORDERS; i++) {
    const dupes = ops.filter(() => random() < 0.2).map((op) => structuredClone(op));
    const state = createState();
    for (const op of shuffled([...ops, ...dupes], random)) {
      applyOp(state, op);
      if (random() < 0.02) {
        const compaction = compactState(state);
        dropped += compaction.manifests.length;
        leases += compaction.leases;
      }
    }
    compactState(state);
    assert.equal(digestState(state), expected, `order ${i}`);
    // A compacted state also survives a snapshot round trip unchanged.
    assert.equal(serializeState(deserializeState(serializeState(state))), serializeState(state));
  }
  assert.ok(dropped > 0, "compaction dropped no manifest");
  assert.ok(leases > 0, "compaction forgot no peer lease");
});

Deno.test("compaction leaves only what a view can use: ended epochs and unreferenced manifests go", () => {
  const trackers = buildHistory(99);
  const state = trackers[0]?.state ?? createState();
  compactState(state);
  for (const group of state.groups.values()) {
    for (const epoch of group.removals.keys()) assert.equal(group.epochs.has(epoch), false);
  }
  const used = new Set<string>();
  for (const group of state.groups.values()) {
    for (const epoch of group.epochs.values()) {
      for (const seeds of epoch.files.values()) {
        for (const { value } of seeds.values()) if (value.active) used.add(value.piecesKey ?? "");
      }
    }
  }
  assert.deepEqual([...state.manifests.keys()].sort(), [...used].sort());
});

Deno.test("mergeState() of two partial replicas equals the replica of all their ops", () => {
  const trackers = buildHistory(5);
  const ops = uniqueOps(trackers);
  const expected = digestState(trackers[0]?.state ?? createState());
  const random = seededRandom(99);
  for (let i = 0; i < 20; i++) {
    // Two replicas that each saw some ops (many in common), compacted at random.
    const [a, b] = [createState(), createState()];
    for (const op of shuffled(ops, random)) {
      const roll = random();
      if (roll < 0.7) applyOp(a, op);
      if (roll > 0.3) applyOp(b, op);
      if (random() < 0.01) compactState(random() < 0.5 ? a : b);
    }
    const snapshot = deserializeState(serializeState(b)); // b arrives as a snapshot
    mergeState(a, snapshot);
    assert.equal(digestState(a), expected, `merge ${i}`);
  }
});
