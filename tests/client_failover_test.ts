/**
 * Clients carry on when their tracker dies: a crash (SIGKILL), a hang
 * (SIGSTOP, noticed only by heartbeats), and a dead balancer (the clients'
 * own tracker list). The trackers replicate in a full mesh: each one is
 * told the trackers started before it, and they dial it back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type ProgramHandle, spawnProgram, tempDir } from "./harness.ts";
import { SECRET, startPeer } from "./cluster_helpers.ts";
import {
  type ClientProc,
  FAST_HEARTBEAT,
  setUpGroup,
  startClientProc,
  writeTestFile,
} from "./client_helpers.ts";

interface Mesh extends AsyncDisposable {
  trackers: ProgramHandle[];
}

async function startMesh(dir: string, n: number, flags: string[] = []): Promise<Mesh> {
  const trackers: ProgramHandle[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const peers = trackers.flatMap((t) => ["--peer", t.addr]);
      trackers.push(await startPeer(i + 1, join(dir, `t${i + 1}`), [...peers, ...flags]));
    }
  } catch (error) {
    await closeAll(trackers);
    throw error;
  }
  return { trackers, [Symbol.asyncDispose]: () => closeAll(trackers) };
}

async function closeAll(trackers: ProgramHandle[]): Promise<void> {
  for (const t of trackers) {
    try {
      Deno.kill(t.pid, "SIGCONT");
    } catch {
      // already gone
    }
  }
  await Promise.all(trackers.map((t) => t[Symbol.asyncDispose]()));
}

function trackerOf(client: ClientProc, login: { tracker: string }): string {
  assert.ok(login.tracker, `no tracker in ${client.proc.stderrLines.join("\n")}`);
  return login.tracker;
}

function notices(client: ClientProc): string[] {
  return client.proc.stderrLines.filter((l) => l.startsWith("notice:"));
}

Deno.test("clients carry on when their tracker is killed with SIGKILL", async () => {
  await using dir = await tempDir("client-failover-kill-");
  await using mesh = await startMesh(dir.path, 3);
  const [t1, t2, t3] = mesh.trackers as [ProgramHandle, ProgramHandle, ProgramHandle];
  const list = [t1, t2, t3].flatMap((t) => ["--tracker", t.addr]);
  await using alice = await startClientProc(join(dir.path, "alice"), [...list, ...FAST_HEARTBEAT]);
  await using bob = await startClientProc(join(dir.path, "bob"), [...list, ...FAST_HEARTBEAT]);
  await setUpGroup([alice, bob], ["alice", "bob"], "g");
  const source = join(dir.path, "shared.bin");
  const bytes = await writeTestFile(source, 3 * 512 * 1024, 3);
  await alice.ok(`upload_file ${source} g`);
  const used = trackerOf(alice, await alice.ok("login alice pw-alice"));
  assert.equal(used, t1.addr);

  await t1.stop("SIGKILL");
  // The next command of each client just works, on another tracker.
  const groups = (await alice.ok("list_groups")).groups;
  assert.deepEqual(groups.map((g: { group: string }) => g.group), ["g"]);
  const files = (await bob.ok("list_files g")).files;
  assert.deepEqual(files.map((f: { name: string }) => f.name), ["shared.bin"]);
  for (const client of [alice, bob]) {
    assert.ok(
      notices(client).some((l) => l.includes(`tracker ${t1.addr} stopped answering; now using`)),
      notices(client).join("\n"),
    );
    assert.deepEqual(client.proc.stdoutLines.filter((l) => l.includes('"ok":false')), []);
  }
  const dest = join(dir.path, "copy.bin");
  await bob.ok(`download_file g shared.bin ${dest}`);
  assert.equal((await bob.ok("wait")).downloads[0].state, "complete");
  assert.deepEqual(await Deno.readFile(dest), bytes);
});

Deno.test("a hung tracker (SIGSTOP) is noticed by heartbeats and the command is retried", async () => {
  await using dir = await tempDir("client-failover-hang-");
  await using mesh = await startMesh(dir.path, 2);
  const [t1, t2] = mesh.trackers as [ProgramHandle, ProgramHandle];
  await using alice = await startClientProc(join(dir.path, "alice"), [
    "--tracker",
    t1.addr,
    "--tracker",
    t2.addr,
    ...FAST_HEARTBEAT,
  ]);
  await setUpGroup([alice], ["alice"], "g");
  Deno.kill(t1.pid, "SIGSTOP");
  try {
    // Sent to the hung tracker: answered by the other one after the heartbeat gives up.
    await alice.ok("create_group h");
    const groups = (await alice.ok("list_groups")).groups.map((g: { group: string }) => g.group);
    assert.deepEqual(groups.sort(), ["g", "h"]);
    assert.ok(
      notices(alice).some((l) =>
        l.includes(`tracker ${t1.addr} stopped answering; now using ${t2.addr}`)
      ),
      notices(alice).join("\n"),
    );
  } finally {
    Deno.kill(t1.pid, "SIGCONT");
  }
});

Deno.test("clients fail over through the balancer, and through their list once it is down", async () => {
  await using dir = await tempDir("client-failover-balancer-");
  await using balancer = await spawnProgram("balancer", ["--port", "0", "--ping-interval", "200"], {
    env: { BALANCER_CLUSTER_SECRET: SECRET },
  });
  await using mesh = await startMesh(dir.path, 3, ["--balancer", balancer.addr]);
  const byAddr = new Map(mesh.trackers.map((t) => [t.addr, t]));
  const flags = [
    "--balancer",
    balancer.addr,
    ...mesh.trackers.flatMap((t) => ["--tracker", t.addr]),
  ];
  await using alice = await startClientProc(join(dir.path, "alice"), [...flags, ...FAST_HEARTBEAT]);
  await setUpGroup([alice], ["alice"], "g");

  // The balancer is up: it hands out a live tracker.
  const first = trackerOf(alice, await alice.ok("login alice pw-alice"));
  await byAddr.get(first)!.stop("SIGKILL");
  assert.deepEqual((await alice.ok("list_groups")).groups.map((g: { group: string }) => g.group), [
    "g",
  ]);
  const second = trackerOf(alice, await alice.ok("login alice pw-alice"));
  assert.notEqual(second, first);
  assert.ok(byAddr.has(second));

  // The balancer is down too: the client's own list still leads to the last tracker.
  await balancer.stop("SIGKILL");
  await byAddr.get(second)!.stop("SIGKILL");
  assert.deepEqual((await alice.ok("list_groups")).groups.map((g: { group: string }) => g.group), [
    "g",
  ]);
  const third = trackerOf(alice, await alice.ok("login alice pw-alice"));
  assert.ok(![first, second].includes(third) && byAddr.has(third));
  for (const [dead, now] of [[first, second], [second, third]]) {
    assert.ok(
      notices(alice).some((l) => l.includes(`tracker ${dead} stopped answering; now using ${now}`)),
      notices(alice).join("\n"),
    );
  }
});
