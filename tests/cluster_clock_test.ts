/**
 * Clock skew cannot hurt: a tracker whose clock runs 400 days ahead neither
 * bricks nor blocks the others. Its ops wait on the others (logged) while
 * their own writes go on, and apply once their clocks catch up; an op stamped
 * at the very end of the stamp range never applies and stops nothing; a clock
 * that jumps back changes nothing acknowledged.
 */
import assert from "node:assert/strict";
import { RpcClient } from "../protocol/rpc_client.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import { DialedLink } from "../tracker/link_dialer.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig, userSession, waitFor } from "./tracker_helpers.ts";

const SECRET = "clock-test-secret";
const DAY_MS = 24 * 3600 * 1000;
type Status = TrackerReplies["status"];

Deno.test("cluster: a tracker 400 days ahead neither bricks nor blocks the others", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  await using d3 = await tempDir();
  let othersAheadMs = 0; // how far the clocks of trackers 1 and 2 run ahead
  const othersNow = () => Date.now() + othersAheadMs;
  const c1 = testConfig(d1.path, { id: 1, clusterSecret: SECRET, nowMs: othersNow });
  await using t1 = await startTracker(c1);
  const c2 = testConfig(d2.path, {
    id: 2,
    clusterSecret: SECRET,
    peers: [t1.addr],
    nowMs: othersNow,
  });
  await using t2 = await startTracker(c2);
  const c3 = testConfig(d3.path, {
    id: 3,
    clusterSecret: SECRET,
    peers: [t1.addr, t2.addr],
    nowMs: () => Date.now() + 400 * DAY_MS,
  });
  await using t3 = await startTracker(c3);
  using on1 = await connect(t1.addr);
  using on2 = await connect(t2.addr);
  using on3 = await connect(t3.addr);
  const login = (c: RpcClient, user: string) =>
    c.request("login", { user, password: `${user}-pw` }).then(() => true, () => undefined);

  await userSession(on3, "future", "future-pw");
  await waitFor(() =>
    c1.logLines.some((l) => l.includes("ahead of this tracker's clock")) || undefined
  );
  // Everyone else writes on, and their writes reach each other and the tracker ahead.
  await userSession(on1, "alice", "alice-pw");
  await userSession(on2, "bob", "bob-pw");
  for (const c of [on1, on2, on3]) {
    await waitFor(() => login(c, "alice"));
    await waitFor(() => login(c, "bob"));
  }
  await rejectsWith(
    on1.request("login", { user: "future", password: "future-pw" }),
    "BAD_CREDENTIALS",
  );
  const ahead = await on3.request<Status>("status");
  assert.ok(ahead.links.every((l) => l.paused.includes(3)), JSON.stringify(ahead.links));
  assert.ok(c3.logLines.some((l) => l.includes("the peer waits on the ops of tracker 3")));

  // An op at the very end of the stamp range waits for ever and stops nothing.
  const intruder = await RpcClient.connect(t1.addr);
  try {
    const link = await DialedLink.open(intruder, {
      secret: SECRET,
      selfId: 9,
      selfAddr: "127.0.0.1:1",
      peer: t1.addr,
    });
    const ack = await link.sendOps([{
      origin: 9,
      seq: 1,
      stamp: "999999999999999.999999.00009",
      body: { type: "create_group", group: "doom", owner: "alice" },
    }], 5000);
    assert.deepEqual(ack.paused, [9]);
    assert.equal(ack.versionVector.get(9), undefined);
  } finally {
    intruder.close();
  }
  await userSession(on1, "carol", "carol-pw");
  await waitFor(() => login(on2, "carol"));

  // Once the others' clocks catch up, the op from the tracker ahead applies.
  othersAheadMs = 400 * DAY_MS + 60_000;
  for (const c of [on1, on2]) await waitFor(() => login(c, "future"));
  // A clock that jumps back changes nothing acknowledged, and writes go on.
  othersAheadMs = 0;
  await userSession(on1, "dave", "dave-pw");
  for (const user of ["alice", "bob", "carol", "future", "dave"]) {
    assert.equal(await login(on1, user), true, user);
  }
});
