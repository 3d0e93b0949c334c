/**
 * The client's download manager in a whole in-process client (startClient)
 * against an in-process tracker and seeders: a download that finishes and
 * makes its user a seeder, one that fails, and downloads that a restarted
 * client resumes from their verified pieces (or gives up on, saying why).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type ClientHandle, startClient } from "../client/app.ts";
import { type Seeder, startSeeder } from "../client/transfer/mod.ts";
import type { DownloadView } from "../client/local/download_manager.ts";
import type { RpcClient } from "../protocol/rpc_client.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, testConfig, userSession, waitFor } from "./tracker_helpers.ts";
import {
  catalogOf,
  exists,
  makeTestFile,
  TEST_SECRET,
  testClusterKey,
  type TestFile,
} from "./transfer_fixtures.ts";
import { clientTestConfig } from "./test_configs.ts";
import type { ClientConfig } from "../client/config.ts";

// The seeders here are bare and never renew a peer lease: one that lasts the whole test.
const LONG_LEASE = { clusterSecret: TEST_SECRET, peerLeaseMs: 600_000 };

const PIECE = 16 * 1024;

/** An in-process client with its notices recorded. */
async function openClient(
  dataDir: string,
  tracker: string,
  cwd: string,
  overrides: Partial<ClientConfig> = {},
) {
  const notices: string[] = [];
  const client = await startClient(clientTestConfig(dataDir, overrides), {
    trackers: [tracker],
    onNotice: (line) => notices.push(line),
    cwd,
  });
  return Object.assign(client, { notices });
}

/** Runs a shell line that must succeed; @returns its data */
// deno-lint-ignore no-explicit-any
async function ok(client: ClientHandle, line: string): Promise<any> {
  const result = await client.run(line);
  if (result.kind !== "ok") throw new Error(`"${line}" failed: ${JSON.stringify(result)}`);
  return result.data;
}

/** Runs a shell line that must fail; @returns its error code */
async function failing(client: ClientHandle, line: string): Promise<string> {
  const result = await client.run(line);
  if (result.kind !== "error") throw new Error(`"${line}" did not fail: ${JSON.stringify(result)}`);
  return result.code;
}

/** Tells the tracker that `seeder` shares `file` as `name`, for the user of `token`. */
async function announce(
  rpc: RpcClient,
  token: string,
  name: string,
  file: TestFile,
  seeder: Seeder,
): Promise<void> {
  await rpc.request("upload_file", {
    token,
    group: "g",
    name,
    addr: seeder.addr,
    manifest: file.manifest,
  });
}

/** Users of the tracker who share `name` in group g. */
async function seedersOf(rpc: RpcClient, token: string, name: string): Promise<string[]> {
  const reply = await rpc.request<{ peers: { user: string }[] }>("download_file", {
    token,
    group: "g",
    name,
  });
  return reply.peers.map((p) => p.user).sort();
}

/** sam owns group g; bob (the client under test) is a member. */
async function setUp(client: ClientHandle, rpc: RpcClient): Promise<string> {
  const token = await userSession(rpc, "sam");
  await rpc.request("create_group", { token, group: "g" });
  await ok(client, "create_user bob pw-bob");
  await ok(client, "login bob pw-bob");
  await ok(client, "join_group g");
  await rpc.request("accept_request", { token, group: "g", user: "bob" });
  return token;
}

Deno.test("DownloadManager finishes a download, reports it, and makes its user a seeder", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(
    testConfig(join(dir.path, "tracker"), LONG_LEASE),
  );
  using rpc = await connect(tracker.addr);
  const file = await makeTestFile(dir.path, "src", 10 * PIECE + 3, PIECE);
  await using seeder = await startSeeder({
    catalog: catalogOf([file]),
    clusterKey: testClusterKey,
  });
  await using client = await openClient(join(dir.path, "bob"), tracker.addr, dir.path);
  const token = await setUp(client, rpc);
  await announce(rpc, token, "f.bin", file, seeder);
  await Deno.mkdir(join(dir.path, "in"));

  const started: DownloadView = await ok(client, "download_file g f.bin in");
  const dest = join(dir.path, "in", "f.bin");
  assert.deepEqual([started.name, started.dest, started.pieces], ["f.bin", dest, 11]);
  assert.equal(await failing(client, "download_file g f.bin in"), "CONFLICT");
  const waited: DownloadView[] = (await ok(client, "wait")).downloads;
  assert.deepEqual(waited.map((d) => [d.name, d.state, d.percent, d.error]), [
    ["f.bin", "complete", 100, null],
  ]);
  assert.deepEqual(await Deno.readFile(dest), file.bytes);
  assert.ok(client.notices.includes(`notice: download of g/f.bin complete: ${dest}`));
  assert.deepEqual(await seedersOf(rpc, token, "f.bin"), ["bob", "sam"]);
  assert.equal(await failing(client, "download_file g f.bin in"), "ALREADY_EXISTS");
  assert.equal(await failing(client, "download_file g f.bin nowhere/x.bin"), "NOT_FOUND");
  const shown: DownloadView[] = (await ok(client, "show_downloads")).downloads;
  assert.deepEqual(shown.map((d) => [d.state, d.bytesDone, d.piecesDone]), [
    ["complete", file.bytes.length, 11],
  ]);
  // Nothing left to wait for: an empty report.
  assert.deepEqual((await ok(client, "wait")).downloads, []);
});

Deno.test("DownloadManager bans a corrupt peer, tells the user once, gives up after --give-up-after and leaves no file", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(
    testConfig(join(dir.path, "tracker"), LONG_LEASE),
  );
  using rpc = await connect(tracker.addr);
  const file = await makeTestFile(dir.path, "src", 6 * PIECE, PIECE);
  const corruptPath = join(dir.path, "corrupt");
  await Deno.writeFile(corruptPath, file.bytes.map((b) => b ^ 1));
  await using bad = await startSeeder({
    clusterKey: testClusterKey,
    catalog: catalogOf([{ path: corruptPath, manifest: file.manifest }]),
  });
  await using client = await openClient(join(dir.path, "bob"), tracker.addr, dir.path, {
    giveUpAfterMs: 1000,
  });
  const token = await setUp(client, rpc);
  assert.equal(await failing(client, "download_file g nothing.bin out"), "NOT_FOUND");
  await announce(rpc, token, "bad.bin", file, bad);

  await ok(client, "download_file g bad.bin out.bin");
  const waited: DownloadView[] = (await ok(client, "wait")).downloads;
  const error = "Gave up: no peer had a needed piece for 1 s";
  assert.deepEqual(waited.map((d) => [d.name, d.state, d.error]), [["bad.bin", "failed", error]]);
  assert.deepEqual(waited[0]!.peers.map((p) => [p.addr, p.state, p.reason]), [
    [bad.addr, "banned", "banned: 3 corrupt pieces"],
  ]);
  const bans = client.notices.filter((n) => n.includes("banned"));
  assert.deepEqual(bans, [`notice: g/bad.bin: peer ${bad.addr} banned: 3 corrupt pieces`]);
  assert.ok(client.notices.includes(`notice: download of g/bad.bin failed: ${error}`));
  assert.equal(await exists(join(dir.path, "out.bin")), false);
  // Its partial peer entry is withdrawn with the download.
  await waitFor(
    async () => (await seedersOf(rpc, token, "bad.bin")).join() === "sam" || undefined,
    10_000,
    "bob's partial entry to go",
  );
});

Deno.test("DownloadManager resumes a download after a restart from its verified pieces; one nobody shares waits until cancelled", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(
    testConfig(join(dir.path, "tracker"), LONG_LEASE),
  );
  using rpc = await connect(tracker.addr);
  const kept = await makeTestFile(dir.path, "kept", 20 * PIECE + 5, PIECE);
  const dropped = await makeTestFile(dir.path, "dropped", 12 * PIECE, PIECE);
  // Seeders that hold only the first pieces: the downloads stop there.
  await using partial = await startSeeder({
    clusterKey: testClusterKey,
    catalog: catalogOf([kept, dropped], (i) => i < 8),
  });
  const bobDir = join(dir.path, "bob");
  let token: string;
  {
    await using client = await openClient(bobDir, tracker.addr, dir.path);
    token = await setUp(client, rpc);
    await announce(rpc, token, "kept.bin", kept, partial);
    await announce(rpc, token, "dropped.bin", dropped, partial);
    await ok(client, "download_file g kept.bin kept.out");
    await ok(client, "download_file g dropped.bin dropped.out");
    await waitFor(
      async () => {
        const shown: DownloadView[] = (await ok(client, "show_downloads")).downloads;
        return shown.every((d) => d.piecesDone === 8) || undefined;
      },
      15_000,
      "the partial pieces",
    );
    // Quitting stops the downloads; they stay "running" in the registry.
  }
  // Now a full seeder shares kept.bin; nobody shares dropped.bin any more.
  await using full = await startSeeder({ catalog: catalogOf([kept]), clusterKey: testClusterKey });
  const carolToken = await userSession(rpc, "carol");
  await rpc.request("join_group", { token: carolToken, group: "g" });
  await rpc.request("accept_request", { token, group: "g", user: "carol" });
  await announce(rpc, carolToken, "kept.bin", kept, full);
  await rpc.request("stop_share", { token, group: "g", name: "dropped.bin" });

  await using again = await openClient(bobDir, tracker.addr, dir.path);
  await waitFor(
    () => again.notices.includes("notice: resuming download of g/kept.bin") || undefined,
    15_000,
    "the resume to be tried",
  ).catch((e) => {
    throw new Error(`${e.message}: ${again.notices.join("\n")}`);
  });
  const waited: DownloadView[] = (await ok(again, "wait")).downloads;
  assert.deepEqual(waited.map((d) => [d.name, d.state, d.piecesResumed]), [[
    "kept.bin",
    "complete",
    8,
  ]]);
  assert.equal(full.stats().piecesServed, 21 - 8, "only the missing pieces were fetched");
  assert.deepEqual(await Deno.readFile(join(dir.path, "kept.out")), kept.bytes);
  const shown: DownloadView[] = (await ok(again, "show_downloads")).downloads;
  assert.deepEqual(shown.map((d) => [d.name, d.state, d.waiting]), [
    ["kept.bin", "complete", false],
    ["dropped.bin", "running", true],
  ]);
  await ok(again, "cancel_download g dropped.bin");
  const after: DownloadView[] = (await ok(again, "show_downloads")).downloads;
  assert.deepEqual(after.map((d) => [d.name, d.state, d.error]), [
    ["kept.bin", "complete", null],
    ["dropped.bin", "failed", "cancelled by the user"],
  ]);
  assert.equal(await exists(join(dir.path, "dropped.out.part")), false);
  assert.equal(await failing(again, "cancel_download g dropped.bin"), "NOT_FOUND");
  assert.deepEqual(await seedersOf(rpc, token, "kept.bin"), ["bob", "carol", "sam"]);
});

Deno.test("retry_download starts a failed download again under its id; clear_downloads forgets finished ones", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(
    testConfig(join(dir.path, "tracker"), { clusterSecret: TEST_SECRET }),
  );
  using rpc = await connect(tracker.addr);
  const file = await makeTestFile(dir.path, "src", 6 * PIECE, PIECE);
  const corruptPath = join(dir.path, "corrupt");
  await Deno.writeFile(corruptPath, file.bytes.map((b) => b ^ 1));
  await using bad = await startSeeder({
    clusterKey: testClusterKey,
    catalog: catalogOf([{ path: corruptPath, manifest: file.manifest }]),
  });
  // Its only peer is banned for corrupt pieces; with no other peer, it gives up soon.
  await using client = await openClient(join(dir.path, "bob"), tracker.addr, dir.path, {
    giveUpAfterMs: 1000,
  });
  const token = await setUp(client, rpc);
  await announce(rpc, token, "f.bin", file, bad);
  const started: DownloadView = await ok(client, "download_file g f.bin out.bin");
  assert.equal((await ok(client, "wait")).downloads[0].state, "failed");
  assert.equal(await failing(client, "retry_download 99"), "NOT_FOUND");

  // A good seeder takes the bad one's place; the retry keeps id and destination.
  await bad.close();
  await using good = await startSeeder({ catalog: catalogOf([file]), clusterKey: testClusterKey });
  await announce(rpc, token, "f.bin", file, good);
  const retried: DownloadView = await ok(client, `retry_download ${started.id}`);
  assert.deepEqual([retried.id, retried.dest, retried.state], [
    started.id,
    started.dest,
    "running",
  ]);
  const waited: DownloadView[] = (await ok(client, "wait")).downloads;
  assert.deepEqual(waited.map((d) => [d.id, d.state]), [[started.id, "complete"]]);
  assert.deepEqual(await Deno.readFile(join(dir.path, "out.bin")), file.bytes);
  const done: DownloadView = (await ok(client, "show_downloads")).downloads[0];
  assert.ok(done.averageBytesPerSec !== null && done.averageBytesPerSec > 0);
  assert.equal(await failing(client, `retry_download ${started.id}`), "CONFLICT");

  assert.deepEqual(await ok(client, "clear_downloads"), { cleared: 1 });
  assert.deepEqual((await ok(client, "show_downloads")).downloads, []);
});
