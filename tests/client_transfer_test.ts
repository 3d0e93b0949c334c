/**
 * Downloads between real client processes: edge sizes, several seeders, a
 * seeder killed mid-download, a seeder serving corrupt pieces, and a
 * downloader restarted mid-download.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProgram, tempDir } from "./harness.ts";
import {
  type ClientProc,
  eventually,
  setUpGroup,
  startClientProc,
  writeTestFile,
} from "./client_helpers.ts";

const PIECE = 512 * 1024;

async function startTracker(dir: string) {
  return await spawnProgram("tracker", ["--port", "0", "--data-dir", join(dir, "tracker")]);
}

/** Caps a client's seeder at 4 MiB/s, so downloads from it last about a second. */
const SLOW_SEEDER = ["--upload-limit", "4M"];

/** Waits until a download of `name` is running and partly done. */
async function waitForProgress(client: ClientProc, name: string): Promise<void> {
  await eventually(`the download of ${name} to get under way`, async () => {
    const downloads = (await client.ok("show_downloads")).downloads as {
      name: string;
      state: string;
      percent: number;
    }[];
    const d = downloads.find((x) => x.name === name && x.state === "running");
    return d !== undefined && d.percent >= 10;
  });
}

async function seedersOf(client: ClientProc, group: string, name: string): Promise<number> {
  const files = (await client.ok(`list_files ${group}`)).files as {
    name: string;
    seeders: number;
  }[];
  return files.find((f) => f.name === name)?.seeders ?? 0;
}

Deno.test("client downloads files of 0 B, 1 B, 512 KiB and 512 KiB + 1 byte intact", async () => {
  await using dir = await tempDir("client-sizes-");
  await using tracker = await startTracker(dir.path);
  const t = ["--tracker", tracker.addr];
  await using alice = await startClientProc(join(dir.path, "alice"), t);
  await using bob = await startClientProc(join(dir.path, "bob"), t);
  await setUpGroup([alice, bob], ["alice", "bob"], "sizes");
  const sizes = [0, 1, PIECE, PIECE + 1];
  const contents = new Map<string, Uint8Array>();
  for (const [i, size] of sizes.entries()) {
    const name = `file-${size}.bin`;
    contents.set(name, await writeTestFile(join(dir.path, name), size, i + 1));
    assert.equal((await alice.ok(`upload_file ${join(dir.path, name)} sizes`)).name, name);
  }
  const into = join(dir.path, "bob-files");
  await Deno.mkdir(into);
  for (const name of contents.keys()) await bob.ok(`download_file sizes ${name} ${into}`);
  const ended = (await bob.ok("wait")).downloads as {
    name: string;
    state: string;
    error: string;
  }[];
  assert.deepEqual(
    ended.map((d) => [d.name, d.state]),
    [...contents.keys()].map((n) => [n, "complete"]),
  );
  for (const [name, bytes] of contents) {
    assert.deepEqual(await Deno.readFile(join(into, name)), bytes, name);
    await assert.rejects(Deno.stat(join(into, `${name}.part`)));
  }
});

Deno.test("client downloads from three seeders, each serving some, and finishes after one is killed mid-download", async () => {
  await using dir = await tempDir("client-seeders-");
  await using tracker = await startTracker(dir.path);
  const t = ["--tracker", tracker.addr];
  const names = ["alice", "bob", "carol", "dave"];
  // Seeders capped at 4 MiB/s each, so a 12 MiB download lasts long enough to
  // kill one of them in the middle of it.
  const clients = await Promise.all(
    names.map((n, i) => startClientProc(join(dir.path, n), i < 3 ? [...t, ...SLOW_SEEDER] : t)),
  );
  await using _a = clients[0]!;
  await using _b = clients[1]!;
  await using _c = clients[2]!;
  await using _d = clients[3]!;
  const [alice, bob, carol, dave] = clients as [ClientProc, ClientProc, ClientProc, ClientProc];
  await setUpGroup(clients, names, "g");

  // Three users share the same content under the same name: three seeders.
  const size = 24 * PIECE + 1234;
  let bytes: Uint8Array = new Uint8Array();
  for (const [i, c] of [alice, bob, carol].entries()) {
    const path = join(dir.path, `${names[i]}-src`, "data.bin");
    await Deno.mkdir(join(dir.path, `${names[i]}-src`));
    bytes = await writeTestFile(path, size, 42);
    await c.ok(`upload_file ${path} g`);
  }
  assert.equal(await seedersOf(dave, "g", "data.bin"), 3);

  const first = join(dir.path, "first.bin");
  await dave.ok(`download_file g data.bin ${first}`);
  await dave.ok("wait");
  assert.deepEqual(await Deno.readFile(first), bytes);
  const shown = (await dave.ok("show_downloads")).downloads[0];
  assert.equal(shown.state, "complete");
  const peers = shown.peers as { addr: string; bytes: number }[];
  assert.deepEqual(
    peers.map((p) => p.addr).sort(),
    [alice, bob, carol].map((c) => c.proc.addr).sort(),
  );
  // Every byte counted came from a seeder, and the capped seeders shared the work.
  assert.equal(peers.reduce((sum, p) => sum + p.bytes, 0), size);
  assert.ok(peers.filter((p) => p.bytes > 0).length >= 2, JSON.stringify(peers));

  // A second download, with a seeder killed once it is under way.
  const second = join(dir.path, "second.bin");
  await dave.ok(`download_file g data.bin ${second}`);
  await waitForProgress(dave, "data.bin");
  await alice.proc.stop("SIGKILL");
  const ended = (await dave.ok("wait")).downloads;
  assert.equal(ended[0].state, "complete", JSON.stringify(ended));
  assert.deepEqual(await Deno.readFile(second), bytes);
});

Deno.test("client catches a seeder serving corrupt pieces and gets the file intact; the seeder stops sharing its changed file", async () => {
  await using dir = await tempDir("client-corrupt-");
  await using tracker = await startTracker(dir.path);
  const t = ["--tracker", tracker.addr];
  const names = ["mallory", "bob", "carol"];
  // The honest seeder is slow, so the download lasts while mallory keeps failing.
  const clients = await Promise.all(
    names.map((n) => startClientProc(join(dir.path, n), n === "bob" ? [...t, ...SLOW_SEEDER] : t)),
  );
  await using mallory = clients[0]!;
  await using bob = clients[1]!;
  await using carol = clients[2]!;
  await setUpGroup(clients, names, "g");
  const size = 24 * PIECE + 99;
  const paths = [join(dir.path, "m", "report.pdf"), join(dir.path, "b", "report.pdf")];
  let bytes: Uint8Array = new Uint8Array();
  for (const [i, c] of [mallory, bob].entries()) {
    await Deno.mkdir(join(paths[i]!, ".."));
    bytes = await writeTestFile(paths[i]!, size, 5);
    await c.ok(`upload_file ${paths[i]} g`);
  }
  // Mallory's copy changes on disk after it was shared: every piece it serves is wrong.
  await writeTestFile(paths[0]!, size, 6);

  const dest = join(dir.path, "carol.pdf");
  await carol.ok(`download_file g report.pdf ${dest}`);
  const [ended] = (await carol.ok("wait")).downloads;
  assert.equal(ended.state, "complete", JSON.stringify(ended));
  assert.deepEqual(await Deno.readFile(dest), bytes);
  const [shown] = (await carol.ok("show_downloads")).downloads;
  // Mallory is banned for its corrupt pieces, or had already withdrawn the changed file.
  const bad = (shown.peers as { addr: string; state: string; bytes: number }[])
    .find((p) => p.addr === mallory.proc.addr);
  assert.ok(bad === undefined || ["banned", "left"].includes(bad.state), JSON.stringify(shown));
  assert.equal(bad?.bytes ?? 0, 0, JSON.stringify(shown));
  await eventually(
    "mallory to notice its changed file",
    () => mallory.proc.stderrLines.some((n) => n.includes("no longer sharing g/report.pdf")),
  );
  await eventually(
    "only bob and carol to seed it",
    async () => (await seedersOf(carol, "g", "report.pdf")) === 2,
  );
});

Deno.test("client restarted mid-download resumes it and then seeds the file", async () => {
  await using dir = await tempDir("client-resume-");
  await using tracker = await startTracker(dir.path);
  const t = ["--tracker", tracker.addr];
  await using alice = await startClientProc(join(dir.path, "alice"), [...t, ...SLOW_SEEDER]);
  const bobDir = join(dir.path, "bob");
  const bob = await startClientProc(bobDir, t);
  await using carol = await startClientProc(join(dir.path, "carol"), t);
  await setUpGroup([alice, bob, carol], ["alice", "bob", "carol"], "g");
  const source = join(dir.path, "movie.bin");
  const bytes = await writeTestFile(source, 32 * PIECE + 5, 7);
  await alice.ok(`upload_file ${source} g`);
  const dest = join(dir.path, "bob movie.bin");
  await bob.ok(`download_file g movie.bin "${dest}"`);
  await waitForProgress(bob, "movie.bin");
  await bob.proc.stop("SIGKILL");

  // Same data dir: the session and the download come back by themselves.
  await using bobAgain = await startClientProc(bobDir, t);
  let resumed = 0;
  await eventually("the resumed download to complete", async () => {
    const [d] = (await bobAgain.ok("show_downloads")).downloads;
    resumed = d?.piecesResumed ?? 0;
    return d?.state === "complete";
  });
  assert.deepEqual(await Deno.readFile(dest), bytes);
  assert.ok(resumed > 0, "the restarted client fetched everything again");
  await eventually(
    "bob to seed the file",
    async () => (await seedersOf(carol, "g", "movie.bin")) === 2,
  );
  await alice.proc.stop("SIGKILL");
  const copy = join(dir.path, "carol.bin");
  await carol.ok(`download_file g movie.bin ${copy}`);
  assert.equal((await carol.ok("wait")).downloads[0].state, "complete");
  assert.deepEqual(await Deno.readFile(copy), bytes);
});
