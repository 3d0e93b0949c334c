/**
 * The replication link between in-process trackers: catch-up in bounded
 * batches, redialing with backoff after the link is cut (the ops written
 * meanwhile arrive once it is back), and a peer with the wrong secret refused.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LinkStatus } from "../protocol/tracker_messages.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { ask, startProxy } from "./cluster_helpers.ts";
import { connect, testConfig, userSession, waitFor } from "./tracker_helpers.ts";

const SECRET = "link-test-secret";

async function linksOf(addr: string): Promise<LinkStatus[]> {
  return (await ask<{ links: LinkStatus[] }>(addr, "status")).links;
}

/** Waits until a tracker's link to `peer` is in `state` (and, if given, `behind` ops back). */
function linkState(addr: string, peer: string, state: LinkStatus["state"], behind?: number) {
  return waitFor(
    async () => {
      const link = (await linksOf(addr)).find((l) => l.peer === peer);
      const matches = link?.state === state && (behind === undefined || link.behind === behind);
      return matches ? link : undefined;
    },
    15_000,
    `${addr}'s link to ${peer} to be ${state}`,
  );
}

/** Waits until two trackers hold the same ops. */
function sameDigest(a: { digest(): string }, b: { digest(): string }) {
  return waitFor(() => a.digest() === b.digest() || undefined, 15_000, "the digests to agree");
}

Deno.test("a tracker that joins late catches up on every op, in batches, and keeps up after", async () => {
  await using dir = await tempDir();
  await using a = await startTracker(
    testConfig(join(dir.path, "a"), { id: 1, clusterSecret: SECRET, replicationBatchOps: 4 }),
  );
  using rpc = await connect(a.addr);
  const token = await userSession(rpc, "amy");
  for (let i = 0; i < 30; i++) await rpc.request("create_group", { token, group: `g${i}` });

  const bConfig = testConfig(join(dir.path, "b"), {
    id: 2,
    clusterSecret: SECRET,
    peers: [a.addr],
  });
  await using b = await startTracker(bConfig);
  await sameDigest(a, b);
  // a learnt b's address from its handshake and dialed back: that link did the catch-up.
  await linkState(a.addr, b.addr, "connected", 0);
  await linkState(b.addr, a.addr, "connected", 0);
  const groups = await ask<{ groups: unknown[] }>(b.addr, "list_groups", { token });
  assert.equal(groups.groups.length, 30);

  // New ops flow as they are committed, both ways.
  await ask(b.addr, "create_group", { token, group: "from-b" });
  await rpc.request("create_group", { token, group: "from-a" });
  await sameDigest(a, b);
  assert.ok(
    bConfig.logLines.includes(`cluster link to ${a.addr}: connected`),
    bConfig.logLines.join("\n"),
  );
});

Deno.test("a cut link is redialed with backoff and delivers what was written meanwhile", async () => {
  await using dir = await tempDir();
  await using proxy = startProxy();
  // b reaches a only through the proxy, which a advertises as its address (a
  // tracker refuses a link dialed to an address that is not its own); a dials
  // b back directly.
  await using a = await startTracker(
    testConfig(join(dir.path, "a"), { id: 1, clusterSecret: SECRET, advertiseAddr: proxy.addr }),
  );
  proxy.target = a.addr;
  const bConfig = testConfig(join(dir.path, "b"), {
    id: 2,
    clusterSecret: SECRET,
    peers: [proxy.addr],
    reconnectInitialMs: 20,
    reconnectMaxMs: 200,
  });
  await using b = await startTracker(bConfig);
  using rpc = await connect(b.addr);
  const token = await userSession(rpc, "bea");
  await sameDigest(a, b);
  await linkState(b.addr, proxy.addr, "connected", 0);

  proxy.cut();
  await linkState(b.addr, proxy.addr, "down");
  for (let i = 0; i < 5; i++) await rpc.request("create_group", { token, group: `cut${i}` });
  const down = await linkState(b.addr, proxy.addr, "down");
  assert.ok(down.behind >= 5, `behind: ${down.behind}`);
  assert.notEqual(a.digest(), b.digest(), "nothing reached a while the link was cut");

  proxy.heal();
  await linkState(b.addr, proxy.addr, "connected", 0);
  await sameDigest(a, b);
  const groups = await ask<{ groups: { group: string }[] }>(a.addr, "list_groups", { token });
  assert.deepEqual(groups.groups.map((g) => g.group).sort(), [
    "cut0",
    "cut1",
    "cut2",
    "cut3",
    "cut4",
  ]);
  const events = bConfig.logLines.filter((l) => l.startsWith(`cluster link to ${proxy.addr}:`));
  assert.deepEqual(events.map((l) => l.split(": ")[1]!.split(" ")[0]), [
    "connected",
    "down",
    "connected",
  ]);
});

Deno.test("a link to a tracker with another secret is refused and carries nothing", async () => {
  await using dir = await tempDir();
  await using a = await startTracker(
    testConfig(join(dir.path, "a"), { id: 1, clusterSecret: SECRET }),
  );
  const bConfig = testConfig(join(dir.path, "b"), {
    id: 2,
    clusterSecret: "another-secret",
    peers: [a.addr],
    reconnectInitialMs: 20,
    reconnectMaxMs: 100,
  });
  await using b = await startTracker(bConfig);
  using rpc = await connect(b.addr);
  await userSession(rpc, "cid");
  const refused = await linkState(b.addr, a.addr, "refused");
  assert.ok(refused.behind > 0);
  assert.deepEqual(await ask(a.addr, "digest"), { digest: a.digest(), ops: 0 });
  assert.deepEqual(await linksOf(a.addr), [], "a never dials back a peer it did not authenticate");
  assert.ok(bConfig.logLines.some((l) => l.startsWith(`cluster link to ${a.addr}: refused`)));
});
