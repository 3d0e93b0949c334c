/**
 * No silent divergence: a peer holding the cluster secret forges an op under
 * another tracker's origin and next number. The real op then meets the forged
 * one: both trackers refuse the op that contradicts what they hold, log it,
 * count it in `status`, and their link reports that the state digests differ
 * instead of a quiet "0 behind".
 */
import assert from "node:assert/strict";
import { RpcClient } from "../protocol/rpc_client.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import { formatStamp } from "../tracker/hlc.ts";
import { DialedLink } from "../tracker/link_dialer.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig, userSession, waitFor } from "./tracker_helpers.ts";

const SECRET = "divergence-test-secret";
type Status = TrackerReplies["status"];

Deno.test("cluster: a forged origin is detected, refused, logged and shown in status", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  const c1 = testConfig(d1.path, { id: 1, clusterSecret: SECRET });
  await using t1 = await startTracker(c1);
  const c2 = testConfig(d2.path, { id: 2, clusterSecret: SECRET, peers: [t1.addr] });
  await using t2 = await startTracker(c2);
  using on1 = await connect(t1.addr);
  using on2 = await connect(t2.addr);
  await userSession(on1, "alice", "alice-pw");
  const status = (c: RpcClient) => c.request<Status>("status");
  const own = (await status(on1)).versionVector["1"]!;
  await waitFor(async () => (await status(on2)).versionVector["1"] === own || undefined);

  // A tracker with the secret sends tracker 2 an op under tracker 1's next number.
  const intruder = await RpcClient.connect(t2.addr);
  try {
    const link = await DialedLink.open(intruder, {
      secret: SECRET,
      selfId: 9,
      selfAddr: "127.0.0.1:1",
      peer: t2.addr,
    });
    const forged = {
      origin: 1,
      seq: own + 1,
      stamp: formatStamp({ ms: Date.now(), counter: 0 }, 1),
      body: { type: "create_group" as const, group: "forged", owner: "alice" },
    };
    const ack = await link.sendOps([forged], 5000);
    assert.equal(ack.versionVector.get(1), own + 1, "it cannot be told from a real op yet");
  } finally {
    intruder.close();
  }
  // Tracker 1's real op for that place.
  await userSession(on1, "bob", "bob-pw");

  const conflicted = (s: Status) =>
    s.conflicts.count >= 1 && s.conflicts.recent.some((c) => c.origin === 1 && c.seq === own + 1);
  const s2 = await waitFor(async () => conflicted(await status(on2)) ? status(on2) : undefined);
  assert.equal(s2.conflicts.recent[0]?.from, 1, "tracker 2 refused the real op from tracker 1");
  const s1 = await waitFor(async () => conflicted(await status(on1)) ? status(on1) : undefined);
  assert.equal(s1.conflicts.recent[0]?.from, 2, "tracker 1 refused the forgery passed on to it");
  assert.ok(c2.logLines.some((l) => l.includes(`refused op 1/${own + 1} from tracker 1`)));
  assert.ok(c1.logLines.some((l) => l.includes(`refused op 1/${own + 1} from tracker 2`)));

  // Neither is behind the other, and the link says their states differ.
  const link1 = await waitFor(async () => {
    const link = (await status(on1)).links.find((l) => l.peer === t2.addr);
    return link?.digest === "mismatch" ? link : undefined;
  });
  assert.equal(link1.behind, 0);
  assert.ok(c1.logLines.some((l) => l.includes("state digests differ")));
  const [a, b] = await Promise.all([on1.request("digest"), on2.request("digest")]);
  assert.notDeepEqual(a, b);
  // Tracker 1 never took the forged op as its own.
  const groups = await on1.request<{ groups: { name: string }[] }>("list_groups", {
    token: (await on1.request<{ token: string }>("login", { user: "alice", password: "alice-pw" }))
      .token,
  });
  assert.ok(!groups.groups.some((g) => g.name === "forged"));
  await rejectsWith(on2.request("login", { user: "bob", password: "bob-pw" }), "BAD_CREDENTIALS");
});

Deno.test("cluster: trackers that agree report matching digests", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  await using t1 = await startTracker(testConfig(d1.path, { id: 1, clusterSecret: SECRET }));
  const c2 = testConfig(d2.path, { id: 2, clusterSecret: SECRET, peers: [t1.addr] });
  await using t2 = await startTracker(c2);
  using on1 = await connect(t1.addr);
  await userSession(on1, "alice", "alice-pw");
  using on2 = await connect(t2.addr);
  await userSession(on2, "bob", "bob-pw");
  for (const c of [on1, on2]) {
    await waitFor(async () => {
      const { links, conflicts } = await c.request<Status>("status");
      assert.equal(conflicts.count, 0);
      return links.length === 1 && links[0]!.digest === "match" && links[0]!.behind === 0 ||
        undefined;
    });
  }
});
