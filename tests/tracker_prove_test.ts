/**
 * A tracker's `prove`: it signs a client's nonce and its own address with the
 * cluster key that login hands out, for the address it advertises; bad input
 * is refused; and what it signs checks out for no other nonce, address or key.
 */
import assert from "node:assert/strict";
import { newNonce } from "../protocol/cluster_messages.ts";
import { type ProveReply, verifyTrackerProof } from "../protocol/tracker_proof.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig } from "./tracker_helpers.ts";

Deno.test("a tracker proves it holds the cluster key for its own address, and for nothing else", async () => {
  await using dir = await tempDir();
  await using other = await tempDir();
  await using t = await startTracker(testConfig(dir.path, { clusterSecret: "s1" }));
  await using stranger = await startTracker(testConfig(other.path, { clusterSecret: "s2" }));
  using c = await connect(t.addr);
  await c.request("create_user", { user: "ann", password: "pw" });
  const { clusterKey } = await c.request<{ clusterKey: string }>("login", {
    user: "ann",
    password: "pw",
  });
  const nonce = newNonce();
  const reply = await c.request<ProveReply>("prove", { nonce });
  assert.equal(reply.addr, t.addr);
  assert.ok(verifyTrackerProof(clusterKey, nonce, [t.addr], reply));
  assert.ok(!verifyTrackerProof(clusterKey, newNonce(), [t.addr], reply), "another nonce");
  assert.ok(!verifyTrackerProof(clusterKey, nonce, ["127.0.0.1:1"], reply), "another address");
  const forged = { ...reply, addr: "127.0.0.1:1" };
  assert.ok(!verifyTrackerProof(clusterKey, nonce, ["127.0.0.1:1"], forged), "a rewritten addr");
  for (const junk of [null, "x", {}, { addr: t.addr, sig: 5 }, { addr: t.addr, sig: "AAAA" }]) {
    assert.ok(!verifyTrackerProof(clusterKey, nonce, [t.addr], junk));
  }
  using s = await connect(stranger.addr);
  const theirs = await s.request<ProveReply>("prove", { nonce });
  assert.ok(!verifyTrackerProof(clusterKey, nonce, [stranger.addr], theirs), "another cluster");

  for (const bad of [undefined, "", "zz", "A".repeat(64), nonce + "0", 7]) {
    await rejectsWith(c.request("prove", bad === undefined ? {} : { nonce: bad }), "BAD_REQUEST");
  }
});

Deno.test("a tracker proves the address it advertises", async () => {
  await using dir = await tempDir();
  await using t = await startTracker(
    testConfig(dir.path, { clusterSecret: "s1", advertiseAddr: "tracker.example:7000" }),
  );
  using c = await connect(t.addr);
  const reply = await c.request<ProveReply>("prove", { nonce: newNonce() });
  assert.equal(reply.addr, "tracker.example:7000");
});
