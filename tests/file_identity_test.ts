/**
 * The file identity end to end: a file's id is a hash of its piece hashes,
 * so a manifest whose id is not proven by its pieces is refused by the
 * tracker at upload and by a downloader before it fetches a byte, and a good
 * download completes without reading the file back.
 */
import assert from "node:assert/strict";
import { createWorkerPool, startDownload } from "../client/transfer/mod.ts";
import type { Manifest } from "../protocol/manifest.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig, userSession } from "./tracker_helpers.ts";
import {
  catalogOf,
  closeAll,
  exists,
  makeTestFile,
  startSeeders,
  ticketFor,
} from "./transfer_fixtures.ts";

const PIECE = 64 * 1024;
const FAST = { pieceTimeoutMs: 3000, peerRefreshMs: 100, stallTimeoutMs: 5000 };

/** The same pieces under another id: every piece still matches its hash. */
function misnamed(manifest: Manifest): Manifest {
  const flipped = (manifest.fileHash[0] === "0" ? "1" : "0") + manifest.fileHash.slice(1);
  return { ...manifest, fileHash: flipped };
}

/** Bytes this process has read from files so far (socket receives do not count here). */
function readBytesSoFar(): number {
  const io = Deno.readTextFileSync("/proc/self/io");
  return Number(/rchar:\s+(\d+)/.exec(io)?.[1] ?? Number.NaN);
}

Deno.test("upload_file refuses a manifest whose fileHash is not the hash of its piece hashes", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 5 * PIECE + 3, PIECE);
  await using tracker = await startTracker(testConfig(dir.path));
  using c = await connect(tracker.addr);
  const alice = await userSession(c, "alice");
  await c.request("create_group", { token: alice, group: "g1" });
  const share = { token: alice, group: "g1", addr: "127.0.0.1:9001" };
  const refused = await rejectsWith(
    c.request("upload_file", { ...share, name: "bad", manifest: misnamed(file.manifest) }),
    "BAD_REQUEST",
  );
  assert.match(refused.message, /fileHash.*piece hashes/);
  const listed = await c.request<{ files: unknown[] }>("list_files", {
    token: alice,
    group: "g1",
  });
  assert.deepEqual(listed.files, [], "nothing was shared");
  const good = await c.request<{ fileHash: string }>("upload_file", {
    ...share,
    name: "good",
    manifest: file.manifest,
  });
  assert.equal(good.fileHash, file.manifest.fileHash);
});

Deno.test("startDownload() refuses a manifest whose id its pieces do not prove, fetching nothing", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 5 * PIECE + 3, PIECE);
  const manifest = misnamed(file.manifest);
  // The seeder serves these very pieces under the wrong id: each would verify.
  const seeders = await startSeeders(1, catalogOf([{ path: file.path, manifest }]));
  await using pool = createWorkerPool(1);
  try {
    const destPath = `${dir.path}/dst`;
    const result = await startDownload({
      manifest,
      ticket: ticketFor(manifest),
      peers: seeders.map((s) => s.addr),
      destPath,
      pool,
      ...FAST,
    }).done;
    assert.equal(result.state, "failed");
    assert.match(result.error ?? "", /piece hashes.*inconsistent manifest/);
    assert.equal(result.bytesDone, 0);
    assert.deepEqual(result.peers.map((p) => p.bytes), [0]);
    assert.equal(await exists(destPath), false);
    assert.equal(await exists(`${destPath}.part`), false);
  } finally {
    await closeAll(seeders);
  }
});

Deno.test("startDownload() proves a good file by its verified pieces and never reads it back", async () => {
  await using dir = await tempDir();
  const size = 128 * PIECE + 11;
  const file = await makeTestFile(dir.path, "src", size, PIECE);
  const seeders = await startSeeders(1, catalogOf([file]));
  await using pool = createWorkerPool(2);
  await pool.ready();
  try {
    const destPath = `${dir.path}/dst`;
    const before = readBytesSoFar();
    const result = await startDownload({
      manifest: file.manifest,
      ticket: ticketFor(file.manifest),
      peers: seeders.map((s) => s.addr),
      destPath,
      pool,
      ...FAST,
    }).done;
    const read = readBytesSoFar() - before;
    assert.equal(result.state, "complete");
    assert.deepEqual(await Deno.readFile(destPath), file.bytes);
    // This process holds the seeder too, which reads each piece from the
    // source file once. A whole-file pass over the download would read it all again.
    assert.ok(read >= size, `read ${read} bytes, fewer than the seeder served`);
    assert.ok(read < 1.5 * size, `read ${read} bytes for a ${size}-byte file: a second pass`);
  } finally {
    await closeAll(seeders);
  }
});
