/**
 * The swarm with real client processes and a real tracker: leechers of a
 * capped seeder feed each other, a client that quits stops being handed out
 * while another client of the same user goes on seeding, and a download
 * whose only seeder went away waits and finishes when it comes back.
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

interface Shown {
  name: string;
  state: string;
  waiting: boolean;
  percent: number;
  peers: { addr: string; state: string; bytes: number }[];
}

async function startTracker(dir: string) {
  return await spawnProgram("tracker", ["--port", "0", "--data-dir", join(dir, "tracker")]);
}

async function fileInfo(client: ClientProc, name: string) {
  const files = (await client.ok("list_files g")).files as {
    name: string;
    seeders: number;
    partials: number;
  }[];
  return files.find((f) => f.name === name);
}

async function shown(client: ClientProc, name: string): Promise<Shown | undefined> {
  const list = (await client.ok("show_downloads")).downloads as Shown[];
  return list.find((d) => d.name === name);
}

/** Alice in group g on two clients (home and work), both seeding one file, and bob, also in g. */
interface TwoSeeders extends AsyncDisposable {
  home: ClientProc;
  work: ClientProc;
  bob: ClientProc;
  /** The shared file's bytes. */
  bytes: Uint8Array;
}

async function aliceSeedsFromTwoClients(
  dir: string,
  trackerAddr: string,
  file: { name: string; size: number; seed: number },
): Promise<TwoSeeders> {
  const t = ["--tracker", trackerAddr];
  const started: ClientProc[] = [];
  const start = async (name: string) => {
    const client = await startClientProc(join(dir, name), t);
    started.push(client);
    return client;
  };
  const dispose = async () => {
    for (const client of started) await client[Symbol.asyncDispose]();
  };
  try {
    const [home, bob] = [await start("alice-home"), await start("bob")];
    await setUpGroup([home, bob], ["alice", "bob"], "g");
    const work = await start("alice-work");
    await work.ok("login alice pw-alice");
    const source = join(dir, file.name);
    const bytes = await writeTestFile(source, file.size, file.seed);
    await home.ok(`upload_file ${source} g`);
    await work.ok(`upload_file ${source} g`);
    // One user on two clients is two peers.
    assert.equal((await fileInfo(bob, file.name))?.seeders, 2);
    return { home, work, bob, bytes, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

Deno.test("leechers of a capped seeder get pieces from each other and all finish intact", async () => {
  await using dir = await tempDir("swarm-leechers-");
  await using tracker = await startTracker(dir.path);
  const t = ["--tracker", tracker.addr];
  const names = ["sam", "l1", "l2", "l3"];
  // The seeder is slow; the leechers upload freely, so pieces spread among them.
  const clients = await Promise.all(
    names.map((n, i) =>
      startClientProc(join(dir.path, n), i === 0 ? [...t, "--upload-limit", "2M"] : t)
    ),
  );
  await using _s = clients[0]!;
  await using _1 = clients[1]!;
  await using _2 = clients[2]!;
  await using _3 = clients[3]!;
  const [seeder, ...leechers] = clients as [ClientProc, ...ClientProc[]];
  await setUpGroup(clients, names, "g");
  const source = join(dir.path, "film.bin");
  const bytes = await writeTestFile(source, 16 * PIECE + 7, 3);
  await seeder.ok(`upload_file ${source} g`);

  await Promise.all(
    leechers.map((c, i) => c.ok(`download_file g film.bin ${join(dir.path, `out-${i}.bin`)}`)),
  );
  // While they run, the tracker lists the leechers as partial peers.
  const during = await fileInfo(seeder, "film.bin");
  assert.equal(during?.seeders, 1);
  const ended = await Promise.all(leechers.map((c) => c.ok("wait", 120_000)));
  const leecherAddrs = new Set(leechers.map((c) => c.proc.addr));
  let fromLeechers = 0;
  for (const [i, report] of ended.entries()) {
    const [d] = report.downloads as Shown[];
    assert.equal(d?.state, "complete", JSON.stringify(d));
    assert.deepEqual(await Deno.readFile(join(dir.path, `out-${i}.bin`)), bytes);
    const used = d!.peers.reduce((sum, p) => sum + p.bytes, 0);
    assert.equal(used, bytes.length, `counted bytes add up to the file: ${JSON.stringify(d)}`);
    for (const p of d!.peers) if (leecherAddrs.has(p.addr)) fromLeechers += p.bytes;
  }
  assert.ok(fromLeechers > 0, "some pieces came from other leechers, not the seeder");
  assert.equal((await fileInfo(seeder, "film.bin"))?.seeders, 4);
});

Deno.test("a client that quits is no longer handed out; the same user's other client goes on", async () => {
  await using dir = await tempDir("swarm-clients-");
  await using tracker = await startTracker(dir.path);
  const file = { name: "notes.txt", size: 3 * PIECE, seed: 4 };
  await using clients = await aliceSeedsFromTwoClients(dir.path, tracker.addr, file);
  const { home, work, bob, bytes } = clients;
  await work.proc.stop("SIGTERM");
  await eventually("the quit client to leave", async () => {
    return (await fileInfo(bob, "notes.txt"))?.seeders === 1;
  });
  await bob.ok(`download_file g notes.txt ${join(dir.path, "got.txt")}`);
  const [d] = (await bob.ok("wait")).downloads as Shown[];
  assert.equal(d?.state, "complete", JSON.stringify(d));
  assert.deepEqual(d!.peers.map((p) => p.addr), [home.proc.addr]);
  assert.deepEqual(await Deno.readFile(join(dir.path, "got.txt")), bytes);
  // Bob stops sharing his copy and the last client quits: the file answers UNAVAILABLE.
  await bob.ok(`stop_share g notes.txt`);
  assert.equal((await fileInfo(bob, "notes.txt"))?.seeders, 1);
  await home.proc.stop("SIGTERM");
  await eventually("the file to have no live peer", async () => {
    return (await fileInfo(bob, "notes.txt"))?.seeders === 0;
  });
  const refused = await bob.cmd(`download_file g notes.txt ${join(dir.path, "again.txt")}`);
  assert.equal(refused.ok, false);
  assert.equal((refused as { error: { code: string } }).error.code, "UNAVAILABLE");
});

Deno.test("a download whose seeder quits waits for peers and completes when it comes back", async () => {
  await using dir = await tempDir("swarm-wait-");
  await using tracker = await startTracker(dir.path);
  const t = ["--tracker", tracker.addr];
  const aliceDir = join(dir.path, "alice");
  const slow = [...t, "--upload-limit", "1M"];
  let alice = await startClientProc(aliceDir, slow);
  await using bob = await startClientProc(join(dir.path, "bob"), t);
  try {
    await setUpGroup([alice, bob], ["alice", "bob"], "g");
    const source = join(dir.path, "big.bin");
    const bytes = await writeTestFile(source, 8 * PIECE + 1, 5);
    await alice.ok(`upload_file ${source} g`);
    await bob.ok(`download_file g big.bin ${join(dir.path, "big.out")}`);
    await eventually(
      "some progress",
      async () => ((await shown(bob, "big.bin"))?.percent ?? 0) > 0,
    );
    await alice.proc.stop("SIGTERM");
    await eventually("the download to wait for peers", async () => {
      const d = await shown(bob, "big.bin");
      return d?.state === "running" && d.waiting;
    });
    // Alice comes back: her client resumes its session and shares again by itself.
    alice = await startClientProc(aliceDir, t);
    const [d] = (await bob.ok("wait", 60_000)).downloads as Shown[];
    assert.equal(d?.state, "complete", JSON.stringify(d));
    assert.deepEqual(await Deno.readFile(join(dir.path, "big.out")), bytes);
  } finally {
    await alice[Symbol.asyncDispose]();
  }
});

Deno.test("a client killed with SIGKILL stops being handed out once its lease runs out, and a live one stays", async () => {
  await using dir = await tempDir("swarm-crash-");
  // The shortest lease the tracker takes, so the test waits 8 s, not 10.
  await using tracker = await spawnProgram("tracker", [
    ...["--port", "0", "--data-dir", join(dir.path, "tracker"), "--peer-lease", "8000"],
  ]);
  const file = { name: "crash.txt", size: PIECE, seed: 6 };
  await using clients = await aliceSeedsFromTwoClients(dir.path, tracker.addr, file);
  const { work, bob } = clients;
  // No goodbye: the crashed client's lease simply stops being renewed, while
  // the live client's, older than a lease by then, is renewed all along.
  await work.proc.stop("SIGKILL");
  await eventually("the crashed client's lease to run out", async () => {
    return (await fileInfo(bob, "crash.txt"))?.seeders === 1;
  }, 30_000);
});
