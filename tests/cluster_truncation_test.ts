/**
 * The op log stays small: a tracker cuts it behind its snapshot once its
 * peers hold the ops (keeping at most `logKeepOps` for one that lags), and a
 * peer back from further behind is sent the snapshot, piece hashes included,
 * instead of the ops.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileHashOf, type Manifest } from "../protocol/manifest.ts";
import { OpStore } from "../tracker/storage.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, testConfig, userSession, waitFor } from "./tracker_helpers.ts";

const SECRET = "truncation-test-secret";

function manifest(content: string, pieces: number): Manifest {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const pieceHashes = Array.from({ length: pieces }, (_, i) => sha(`${content}/${i}`));
  const shape = { size: pieces * 4, pieceSize: 4, pieceHashes };
  return { fileHash: fileHashOf(shape), ...shape };
}

function opsInLog(dir: string): { base: number; stored: number } {
  const store = new OpStore(dir);
  try {
    const base = store.logBase().get(1) ?? 0;
    return { base, stored: store.readAfter(1, base, 100_000).length };
  } finally {
    store.close();
  }
}

Deno.test("cluster: the log is cut behind the snapshot and a peer too far behind gets the snapshot", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  const small = { clusterSecret: SECRET, snapshotEveryOps: 20, logKeepOps: 30 };
  const c1 = testConfig(d1.path, { id: 1, ...small });
  await using t1 = await startTracker(c1);
  const c2 = () => testConfig(d2.path, { id: 2, ...small, peers: [t1.addr] });
  using on1 = await connect(t1.addr);
  const token = await userSession(on1, "alice");
  const digestOf = async (addr: string) => {
    using c = await connect(addr);
    return await c.request<{ digest: string; ops: number }>("digest");
  };
  {
    await using t2 = await startTracker(c2());
    for (let i = 0; i < 30; i++) await on1.request("create_group", { token, group: `before${i}` });
    const ops = (await digestOf(t1.addr)).ops;
    await waitFor(async () => (await digestOf(t2.addr)).ops === ops || undefined);
  }
  // Tracker 2 is away while tracker 1 writes far more than it keeps for a lagging peer.
  await on1.request("create_group", { token, group: "files" });
  const big = manifest("a file shared while tracker 2 was away", 500);
  await on1.request("upload_file", {
    token,
    group: "files",
    name: "big.bin",
    addr: "127.0.0.1:9",
    manifest: big,
  });
  for (let i = 0; i < 120; i++) await on1.request("create_group", { token, group: `during${i}` });
  await t1.close();
  const log = opsInLog(d1.path);
  assert.ok(log.base > 60, `the log was cut behind the snapshot (starts after op ${log.base})`);
  assert.ok(log.stored < 60, `${log.stored} ops left in the log`);

  const c1b = testConfig(d1.path, { id: 1, ...small });
  await using again = await startTracker(c1b);
  const c2b = testConfig(d2.path, { id: 2, ...small, peers: [again.addr] });
  await using t2 = await startTracker(c2b);
  const want = await digestOf(again.addr);
  await waitFor(
    async () => {
      const theirs = await digestOf(t2.addr);
      return theirs.digest === want.digest || undefined;
    },
    20_000,
    "tracker 2 to converge from the snapshot",
  );
  assert.ok(
    c1b.logLines.some((line) => line.includes("sending the snapshot")),
    c1b.logLines.join("\n"),
  );
  // What it learned from the snapshot serves: groups, and the file with its piece hashes.
  using on2 = await connect(t2.addr);
  const { token: t2Token } = await on2.request<{ token: string }>("login", {
    user: "alice",
    password: "pw-alice",
  });
  const offer = await on2.request<{ manifest: Manifest }>("download_file", {
    token: t2Token,
    group: "files",
    name: "big.bin",
  });
  assert.deepEqual(offer.manifest, big);
  const { groups } = await on2.request<{ groups: { group: string }[] }>("list_groups", {
    token: t2Token,
  });
  assert.ok(groups.some((g) => g.group === "during119"));
  // Later writes on tracker 1 flow to tracker 2 as ops again.
  using late = await connect(again.addr);
  const lateToken = await late.request<{ token: string }>("login", {
    user: "alice",
    password: "pw-alice",
  });
  await late.request("create_group", { token: lateToken.token, group: "after" });
  await waitFor(async () => {
    const { groups } = await on2.request<{ groups: { group: string }[] }>("list_groups", {
      token: t2Token,
    });
    return groups.some((g) => g.group === "after") || undefined;
  });
});
