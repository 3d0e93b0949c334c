import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import type { Op } from "./ops.ts";
import { SnapshotCursor } from "./snapshot_cursor.ts";
import {
  applyOp,
  createState,
  digestState,
  pruneLease,
  pruneSession,
  type TrackerState,
} from "./state.ts";
import { removeManifest } from "./state_manifests.ts";
import { compactState } from "./state_compaction.ts";
import { serializeState, stateFromLines } from "./state_snapshot.ts";
import { type Command, manifestOf, seededRandom, SimTracker } from "./_test_helpers.ts";

const USERS = ["u1", "u2", "u3", "u4"];
const GROUPS = ["ga", "gb"];
const FILES = ["f1", "f2", "f3"];
const CONTENTS = ["c1", "c2", "c3", "c4"].map((c) => manifestOf(c));

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function command(random: () => number): Command {
  const group = pick(GROUPS, random);
  const name = pick(FILES, random);
  const addr = `127.0.0.1:${4000 + Math.floor(random() * 2)}`;
  const roll = random();
  if (roll < 0.1) return { cmd: "create_group", group };
  if (roll < 0.2) return { cmd: "join_group", group };
  if (roll < 0.3) return { cmd: "leave_group", group };
  if (roll < 0.4) return { cmd: "accept_request", group, user: pick(USERS, random) };
  if (roll < 0.7) {
    return { cmd: "upload_file", group, name, addr, manifest: pick(CONTENTS, random) };
  }
  if (roll < 0.8) return { cmd: "stop_share", group, name };
  if (roll < 0.87) return { cmd: "logout" };
  return { cmd: "keep_alive", addr, ...(roll < 0.92 ? { leaving: true } : {}) };
}

/** A history of random commands by a few users, as the ops they gave. */
function history(seed: number, steps: number): Op[] {
  const random = seededRandom(seed);
  const t = new SimTracker(1);
  for (const user of USERS) t.createUser(user);
  const tokens = new Map<string, string>();
  for (let i = 0; i < steps; i++) {
    t.nowMs += Math.floor(random() * 200_000); // sessions and leases expire along the way
    const user = pick(USERS, random);
    try {
      let token = tokens.get(user);
      if (token === undefined || random() < 0.1) tokens.set(user, token = t.login(user));
      const cmd = command(random);
      t.run(token, cmd);
      if (cmd.cmd === "logout") tokens.delete(user);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      tokens.delete(user);
    }
  }
  return t.log;
}

function stateOf(ops: readonly Op[]): TrackerState {
  const state = createState();
  for (const op of ops) applyOp(state, op);
  return state;
}

Deno.test("SnapshotCursor writes the state of its start while ops keep being applied", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const random = seededRandom(seed * 7919);
    const ops = history(seed, 300);
    const start = 20 + Math.floor(random() * (ops.length - 40));
    const live = stateOf(ops.slice(0, start));
    const cursor = new SnapshotCursor(live);
    const lines: string[] = [];
    for (const op of ops.slice(start)) {
      if (random() < 0.3) lines.push(...cursor.take(1 + Math.floor(random() * 3)));
      cursor.beforeApply(op);
      applyOp(live, op);
    }
    lines.push(...cursor.take(Number.MAX_SAFE_INTEGER));
    assert.equal(cursor.done, true);
    const expected = stateOf(ops.slice(0, start));
    compactState(expected);
    const saved = stateFromLines(lines);
    assert.equal(digestState(saved), digestState(expected), `seed ${seed}`);
    assert.equal(serializeState(saved), serializeState(expected), `seed ${seed}`);
  }
});

Deno.test("SnapshotCursor.droppable() names only what compaction drops, and dropping it changes nothing seen", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const random = seededRandom(seed * 104_729);
    const ops = history(seed, 300);
    const start = Math.floor(random() * ops.length);
    const live = stateOf(ops.slice(0, start));
    const cursor = new SnapshotCursor(live);
    const dropAt = start + Math.floor(random() * (ops.length - start));
    for (const [i, op] of ops.entries()) {
      if (i < start) continue;
      if (i === dropAt) dropAll(live, cursor);
      cursor.take(2);
      cursor.beforeApply(op);
      applyOp(live, op);
    }
    cursor.take(Number.MAX_SAFE_INTEGER);
    if (dropAt >= ops.length) dropAll(live, cursor);
    const whole = stateOf(ops);
    assert.equal(digestState(live), digestState(whole), `seed ${seed}`);
    compactState(whole);
    compactState(live);
    assert.equal(serializeState(live), serializeState(whole), `seed ${seed}`);
  }
});

// Drops what the cursor found droppable so far, as a snapshot job does.
function dropAll(state: TrackerState, cursor: SnapshotCursor): void {
  const { sessions, leases, manifests } = cursor.droppable();
  for (const key of sessions) pruneSession(state, key);
  for (const key of leases) pruneLease(state, key);
  for (const key of manifests) {
    const manifest = state.manifests.get(key);
    if (manifest !== undefined && cursor.mayDropManifest(manifest)) removeManifest(state, key);
  }
}

Deno.test("SnapshotCursor writes a group as its own line, then a line per member and file", () => {
  const t = new SimTracker(1);
  t.createUser("alice");
  const token = t.login("alice");
  t.run(token, { cmd: "create_group", group: "g" });
  for (const name of ["a", "b", "c"]) {
    t.run(token, {
      cmd: "upload_file",
      group: "g",
      name,
      addr: "127.0.0.1:1",
      manifest: CONTENTS[0]!,
    });
  }
  const lines = new SnapshotCursor(t.state).take(100);
  const kinds = lines.slice(1).map((line) => (JSON.parse(line) as string[])[0]);
  assert.deepEqual(kinds, [
    "user",
    "session",
    "lease",
    "group",
    "member",
    "file",
    "file",
    "file",
    "manifest",
  ]);
  assert.equal(digestState(stateFromLines(lines)), digestState(t.state));
});
