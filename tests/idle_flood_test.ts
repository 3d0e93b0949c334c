/**
 * Idle-socket floods from one address (127.0.0.2) on every port: a tracker,
 * a balancer and a client's seeder, all real processes. Each serves only a
 * few of the flood's connections (its per-address cap) and refuses the rest
 * at once; it closes the ones it took when they say nothing (the idle and
 * first-message deadlines); meanwhile clients from another address log in,
 * ask the balancer and download.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProgram, tempDir } from "./harness.ts";
import { setUpGroup, startClientProc, writeTestFile } from "./client_helpers.ts";
import { openIdleFlood } from "./idle_flood.ts";
import { connect, waitFor } from "./tracker_helpers.ts";

const FLOOD = 300;
const PER_ADDRESS = 100;
const cap = ["--max-conns-per-address", String(PER_ADDRESS)];

Deno.test("idle floods from one address take no port from clients on another, and are closed", async () => {
  await using dir = await tempDir("idle-flood-");
  await using balancer = await spawnProgram("balancer", ["--port", "0", ...cap]);
  await using tracker = await spawnProgram("tracker", [
    "--port",
    "0",
    "--data-dir",
    join(dir.path, "tracker"),
    "--balancer",
    balancer.addr,
    ...cap,
  ]);
  const t = ["--tracker", tracker.addr];
  // Alice's seeder serves TLS, so its flood also shows that a connection closed
  // before its handshake is let go of.
  await using alice = await startClientProc(join(dir.path, "alice"), [...t, ...cap, "--peer-tls"]);
  const seederAddr = alice.proc.addr; // its ready line gives the seeder's address

  await using trackerFlood = await openIdleFlood(tracker.addr, FLOOD, "127.0.0.2");
  await using balancerFlood = await openIdleFlood(balancer.addr, FLOOD, "127.0.0.2");
  await using seederFlood = await openIdleFlood(seederAddr, FLOOD, "127.0.0.2");
  // The tracker and balancer refused all but their per-address share at
  // once, saying why. (So does the seeder, but over TLS: the flood cannot read it.)
  for (const flood of [trackerFlood, balancerFlood]) {
    await waitFor(
      () => flood.closed() >= FLOOD - PER_ADDRESS ? true : undefined,
      10_000,
      "the flood's connections over the cap to be refused",
    );
    assert.match(flood.received(), /limit of 100 connections from one address/);
  }

  assert.equal(seederFlood.opened, FLOOD);

  // Clients from 127.0.0.1 log in, ask the balancer, share and download
  // (from the seeder the flood holds 300 connections to, over its default
  // cap of 256 in all).
  await using bob = await startClientProc(join(dir.path, "bob"), t);
  await setUpGroup([alice, bob], ["alice", "bob"], "g");
  using rpc = await connect(balancer.addr);
  const picked = await rpc.request<{ addr: string }>("get_tracker", {});
  assert.equal(picked.addr, tracker.addr);
  await Deno.mkdir(join(dir.path, "src"));
  const source = join(dir.path, "src", "data.bin");
  const bytes = await writeTestFile(source, 2 * 1024 * 1024, 7);
  await alice.ok(`upload_file ${source} g`);
  const dest = join(dir.path, "bob.bin");
  await bob.ok(`download_file g data.bin ${dest}`);
  const [done] = (await bob.ok("wait", 60_000)).downloads;
  assert.equal(done.state, "complete", done.error);
  assert.deepEqual(await Deno.readFile(dest), bytes);

  // Every connection the tracker, balancer and seeder took is closed once silent.
  for (const flood of [trackerFlood, balancerFlood, seederFlood]) {
    await waitFor(
      () => flood.closed() === flood.opened ? true : undefined,
      20_000,
      "every idle connection to be closed",
    );
  }
});
