import assert from "node:assert/strict";
import { newNonce } from "../protocol/cluster_messages.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { formatStamp } from "../tracker/hlc.ts";
import { DialedLink } from "../tracker/link_dialer.ts";
import type { Op } from "../tracker/ops.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { ask, digestOf, startPeer } from "./cluster_helpers.ts";
import { connect, rejectsWith, testConfig, waitFor } from "./tracker_helpers.ts";

Deno.test("cluster: a tracker with the wrong secret is refused, logged, and changes nothing", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  await using t1 = await startPeer(1, d1.path);
  await ask(t1.addr, "create_user", { user: "erin", password: "pw" });
  const before = await digestOf(t1.addr);
  await using intruder = await startPeer(2, d2.path, ["--peer", t1.addr], "wrong-secret");
  await ask(intruder.addr, "create_user", { user: "mallory", password: "pw" });
  await waitFor(async () => {
    const { links } = await ask<{ links: { state: string }[] }>(intruder.addr, "status");
    return links[0]?.state === "refused" ? true : undefined;
  });
  await waitFor(() => t1.stderrLines.some((l) => l.includes("refused cluster link")) || undefined);
  assert.deepEqual(await digestOf(t1.addr), before);
  const t1Status = await ask<{ links: unknown[] }>(t1.addr, "status");
  assert.deepEqual(t1Status.links, [], "T1 does not dial back a peer that failed to authenticate");
  await rejectsWith(ask(t1.addr, "login", { user: "mallory", password: "pw" }), "BAD_CREDENTIALS");
});

/** Runs the dialer's side of the handshake by hand. */
function handshake(client: RpcClient, secret: string, from: number): Promise<DialedLink> {
  const peer = client.remoteAddr;
  return DialedLink.open(client, { secret, selfId: from, selfAddr: "127.0.0.1:1", peer });
}

function groupOp(seq: number, group: string): Op {
  const stamp = formatStamp({ ms: Date.now(), counter: seq }, 9);
  return { origin: 9, seq, stamp, body: { type: "create_group", group, owner: "nobody" } };
}

Deno.test("cluster: peer_ops sent twice, out of order or before the handshake changes nothing", async () => {
  await using dir = await tempDir();
  const config = testConfig(dir.path, { clusterSecret: "s" });
  await using tracker = await startTracker(config);
  using c = await connect(tracker.addr);
  const unsealed = { ops: [groupOp(1, "x")], seq: 1, mac: "0".repeat(64) };
  await rejectsWith(c.request("peer_ops", unsealed), "UNAUTHORIZED");
  const to = { to: tracker.addr, reached: c.remoteAddr };
  await c.request("peer_hello", { from: 9, nonce: newNonce(), ...to });
  await rejectsWith(c.request("peer_auth", { proof: "0".repeat(64) }), "UNAUTHORIZED");
  await rejectsWith(c.request("peer_ops", unsealed), "UNAUTHORIZED");
  assert.equal((await c.request<{ ops: number }>("digest")).ops, 0);

  const link = await handshake(c, "s", 9);
  const batch = [groupOp(1, "g1"), groupOp(2, "g2")];
  const first = await link.sendOps(batch, 5000);
  assert.deepEqual(first, { versionVector: new Map([[9, 2]]), paused: [] });
  const digest = await c.request("digest");
  const again = await link.sendOps(batch, 5000);
  assert.deepEqual(again.versionVector, new Map([[9, 2]]));
  const gap = await link.sendOps([groupOp(5, "g5")], 5000);
  assert.deepEqual(
    gap.versionVector,
    new Map([[9, 2]]),
    "an op whose predecessors are missing waits",
  );
  assert.deepEqual(await c.request("digest"), digest);
  await rejectsWith(
    link.sendOps([{ ...groupOp(3, "g3"), body: { type: "drop_all" } } as unknown as Op], 5000),
    "BAD_REQUEST",
  );
  assert.ok(config.logLines.some((l) => l.includes("wrong cluster secret")));
});
