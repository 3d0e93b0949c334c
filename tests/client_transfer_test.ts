/**
 * Downloads between real client processes: edge sizes, several seeders, a
 * seeder killed mid-download, and a downloader restarted mid-download.
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

Deno.test("client downloads from three seeders and finishes after one is killed", async () => {
  await using dir = await tempDir("client-seeders-");
  await using tracker = await startTracker(dir.path);
  const t = ["--tracker", tracker.addr];
  const names = ["alice", "bob", "carol", "dave"];
  const clients = await Promise.all(names.map((n) => startClientProc(join(dir.path, n), t)));
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
  assert.deepEqual(
    shown.peers.map((p: { addr: string }) => p.addr).sort(),
    [alice, bob, carol].map((c) => c.proc.addr).sort(),
  );

  // A second download, with a seeder killed as soon as it starts.
  const second = join(dir.path, "second.bin");
  await dave.ok(`download_file g data.bin ${second}`);
  await alice.proc.stop("SIGKILL");
  const ended = (await dave.ok("wait")).downloads;
  assert.equal(ended[0].state, "complete", JSON.stringify(ended));
  assert.deepEqual(await Deno.readFile(second), bytes);
});

Deno.test("client restarted mid-download resumes it and then seeds the file", async () => {
  await using dir = await tempDir("client-resume-");
  await using tracker = await startTracker(dir.path);
  const t = ["--tracker", tracker.addr];
  await using alice = await startClientProc(join(dir.path, "alice"), t);
  const bobDir = join(dir.path, "bob");
  const bob = await startClientProc(bobDir, t);
  await using carol = await startClientProc(join(dir.path, "carol"), t);
  await setUpGroup([alice, bob, carol], ["alice", "bob", "carol"], "g");
  const source = join(dir.path, "movie.bin");
  const bytes = await writeTestFile(source, 32 * PIECE + 5, 7);
  await alice.ok(`upload_file ${source} g`);
  const dest = join(dir.path, "bob movie.bin");
  await bob.ok(`download_file g movie.bin "${dest}"`);
  await bob.proc.stop("SIGKILL");

  // Same data dir: the session and the download come back by themselves.
  await using bobAgain = await startClientProc(bobDir, t);
  await eventually("the resumed download to complete", async () => {
    const [d] = (await bobAgain.ok("show_downloads")).downloads;
    return d?.state === "complete";
  });
  assert.deepEqual(await Deno.readFile(dest), bytes);
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
