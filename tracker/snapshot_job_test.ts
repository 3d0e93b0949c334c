import assert from "node:assert/strict";
import type { Op, OpBody } from "./ops.ts";
import { Replica } from "./replica.ts";
import { applyOp, createState, digestState } from "./state.ts";
import { compactState } from "./state_compaction.ts";
import { stateFromLines } from "./state_snapshot.ts";
import { vvFromObject } from "./storage.ts";
import { manifestOf, SimTracker } from "./_test_helpers.ts";
import { SLICED_SNAPSHOT_VERSION } from "./snapshot_cursor.ts";

const SNAPSHOT_EVERY_OPS = 1500;

function bodies(i: number): OpBody[] {
  const user = `user-${i}`;
  const group = `group-${i % 700}`;
  return [
    { type: "create_user", user, salt: `salt-${i}`, hash: `hash-${i}` },
    { type: "create_group", group, owner: user },
  ];
}

/** Every line of the saved snapshot, read page by page as a peer is sent it, and its version vector. */
function savedSnapshot(replica: Replica): { lines: string[]; vv: string } {
  const first = replica.store.snapshotPage(-1, 0).versionVector;
  const lines: string[] = [];
  for (let after = -1; after < 1_000_000;) {
    const page = replica.store.snapshotPage(after, 8);
    assert.equal(page.versionVector, first, "one snapshot, read in one turn");
    lines.push(...page.lines);
    after += page.rows;
    if (page.rows < 8) break;
  }
  return { lines, vv: first };
}

Deno.test("Replica: a snapshot written while ops keep coming holds exactly the state at its version vector", async () => {
  const dir = await Deno.makeTempDir();
  const replica = Replica.open({ id: 1, dataDir: dir, snapshotEveryOps: SNAPSHOT_EVERY_OPS });
  try {
    const ops: Op[] = [];
    const checked = new Set<string>();
    let concurrent = 0;
    for (let round = 0; round < 40 && checked.size < 3; round++) {
      // Many writes in one turn, as from many connections: their commits and the snapshot's
      // slices take turns.
      await Promise.all(Array.from({ length: 400 }, async (_, k) => {
        const i = round * 400 + k;
        await replica.write(() => ({ bodies: bodies(i), data: {} }));
      }));
      for (let seq = ops.length + 1; seq <= (replica.committed.get(1) ?? 0); seq++) {
        const op = replica.opAt(1, seq);
        if (op !== undefined) ops.push(op);
      }
      const saved = savedSnapshot(replica);
      if (saved.vv === "" || checked.has(saved.vv)) continue;
      checked.add(saved.vv);
      const covered = vvFromObject(JSON.parse(saved.vv)).get(1) ?? 0;
      // Each round commits in one transaction: a snapshot saved at once would cover all of it.
      if (covered < ops.length) concurrent++;
      const expected = createState();
      for (const op of ops.slice(0, covered)) applyOp(expected, op);
      compactState(expected);
      assert.equal(digestState(stateFromLines(saved.lines)), digestState(expected), saved.vv);
    }
    assert.ok(checked.size >= 2, `${checked.size} snapshots saved`);
    assert.ok(concurrent > 0, "some snapshot was taken while ops kept coming");
  } finally {
    replica.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Replica: close() while a snapshot is being written saves a whole one that covers every op", async () => {
  const dir = await Deno.makeTempDir();
  let replica = Replica.open({ id: 1, dataDir: dir, snapshotEveryOps: SNAPSHOT_EVERY_OPS });
  let digest: string;
  try {
    for (let round = 0; round < 6; round++) {
      await Promise.all(Array.from({ length: 400 }, async (_, k) => {
        await replica.write(() => ({ bodies: bodies(round * 400 + k), data: {} }));
      }));
    }
    digest = replica.digest().digest;
  } finally {
    replica.close(); // a snapshot job is likely under way: it is abandoned, one saved at once
  }
  replica = Replica.open({ id: 1, dataDir: dir, snapshotEveryOps: SNAPSHOT_EVERY_OPS });
  try {
    assert.equal(replica.digest().digest, digest);
    assert.equal(replica.opCount, 6 * 400 * 2);
    const saved = savedSnapshot(replica);
    assert.equal(vvFromObject(JSON.parse(saved.vv)).get(1), 6 * 400 * 2);
  } finally {
    replica.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Replica: the snapshot saved at close writes a group of many files as a line per file", async () => {
  const source = new SimTracker(2);
  source.createUser("alice");
  const token = source.login("alice");
  source.run(token, { cmd: "create_group", group: "big" });
  for (let i = 0; i < 300; i++) {
    const manifest = manifestOf(`content ${i}`);
    source.run(token, {
      cmd: "upload_file",
      group: "big",
      name: `f${i}`,
      addr: "127.0.0.1:9",
      manifest,
    });
  }
  const dir = await Deno.makeTempDir();
  // No snapshot is due before close: the one saved there is the one read back.
  const options = { id: 1, dataDir: dir, snapshotEveryOps: 1_000_000 };
  let replica = Replica.open(options);
  try {
    assert.equal(await replica.receive(source.log, 2), source.log.length);
  } finally {
    replica.close(); // saved at once, as after installing a peer's snapshot
  }
  replica = Replica.open(options);
  try {
    const { lines } = savedSnapshot(replica);
    assert.equal(JSON.parse(lines[0]!).version, SLICED_SNAPSHOT_VERSION);
    assert.equal(lines.filter((line) => line.startsWith('["file","big"')).length, 300);
    assert.ok(lines.every((line) => line.length < 2000), "no line grows with the group");
    assert.equal(replica.digest().digest, digestState(source.state));
  } finally {
    replica.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Replica: a small state kept busy is snapshotted every N ops however long its history", async () => {
  const dir = await Deno.makeTempDir();
  const every = 500;
  const replica = Replica.open({ id: 1, dataDir: dir, snapshotEveryOps: every });
  try {
    // Lease renewals of a few clients: many ops, few records.
    for (let round = 0; round < 30; round++) {
      await Promise.all(Array.from({ length: 400 }, async (_, k) => {
        const body: OpBody = {
          type: "peer_lease",
          user: "u",
          addr: `127.0.0.1:${k % 5 + 1}`,
          ttlMs: 9,
        };
        await replica.write(() => ({ bodies: [body], data: {} }));
      }));
      await new Promise((resolve) => setTimeout(resolve, 0)); // a turn for the snapshot's slices
    }
    const covered = vvFromObject(JSON.parse(savedSnapshot(replica).vv)).get(1) ?? 0;
    // A restart replays what the snapshot does not cover: about N ops, not half the history.
    assert.ok(covered >= 30 * 400 - 3 * every, `the saved snapshot covers ${covered} of 12000 ops`);
  } finally {
    replica.close();
    await Deno.remove(dir, { recursive: true });
  }
});
