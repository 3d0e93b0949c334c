import assert from "node:assert/strict";
import { join } from "node:path";
import { startTracker } from "../tracker/tracker_server.ts";
import { SIGNING_KEY_FILE } from "../tracker/signing_key.ts";
import { tempDir } from "./harness.ts";
import { connect, fakeManifest, testConfig, userSession } from "./tracker_helpers.ts";
import { ticketBytes, verifyTicket } from "../protocol/ticket.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";

async function loginKey(addr: string): Promise<string> {
  using c = await connect(addr);
  await c.request("create_user", { user: "alice", password: "pw" }).catch(() => {});
  const reply = await c.request<{ clusterKey: string }>("login", { user: "alice", password: "pw" });
  return reply.clusterKey;
}

Deno.test("login hands out the cluster key: the same on every tracker holding the secret", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  await using c = await tempDir();
  await using t1 = await startTracker(testConfig(a.path, { clusterSecret: "s1" }));
  await using t2 = await startTracker(testConfig(b.path, { clusterSecret: "s1" }));
  await using t3 = await startTracker(testConfig(c.path, { clusterSecret: "s2" }));
  const k1 = await loginKey(t1.addr);
  assert.equal(Buffer.from(k1, "base64url").length, 32);
  assert.equal(await loginKey(t2.addr), k1);
  assert.notEqual(await loginKey(t3.addr), k1);
});

Deno.test("a tracker without a cluster secret makes its key once, keeps it 0600, and reuses it", async () => {
  await using dir = await tempDir();
  let first: string;
  {
    await using t = await startTracker(testConfig(dir.path));
    first = await loginKey(t.addr);
  }
  assert.equal((await Deno.stat(join(dir.path, SIGNING_KEY_FILE))).mode! & 0o777, 0o600);
  await using again = await startTracker(testConfig(dir.path));
  assert.equal(await loginKey(again.addr), first);
});

Deno.test("download_file hands a member a ticket for that file, signed with the key login gave", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  const lifetimeMs = 5000;
  await using t1 = await startTracker(
    testConfig(a.path, { clusterSecret: "s1", ticketLifetimeMs: lifetimeMs }),
  );
  await using t2 = await startTracker(testConfig(b.path, { clusterSecret: "s1" }));
  using c = await connect(t1.addr);
  const alice = await userSession(c, "alice");
  await c.request("create_group", { token: alice, group: "g1" });
  const manifest = fakeManifest("ticketed");
  await c.request("upload_file", {
    token: alice,
    group: "g1",
    name: "f.bin",
    manifest,
    addr: "127.0.0.1:9001",
  });
  const before = Date.now();
  const offer = await c.request<TrackerReplies["download_file"]>("download_file", {
    token: alice,
    group: "g1",
    name: "f.bin",
  });
  const check = verifyTicket(await loginKey(t2.addr), ticketBytes(offer.ticket), Date.now());
  assert.ok(check.ok, check.ok ? "" : check.message);
  assert.deepEqual(
    { ...check.claims, notAfterMs: 0 },
    { user: "alice", group: "g1", fileHash: manifest.fileHash, notAfterMs: 0 },
  );
  assert.ok(check.claims.notAfterMs >= before + lifetimeMs);
  assert.ok(check.claims.notAfterMs <= Date.now() + lifetimeMs);
  const late = verifyTicket(
    await loginKey(t2.addr),
    ticketBytes(offer.ticket),
    check.claims.notAfterMs + 1,
  );
  assert.equal(late.ok, false);
});
