import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import assert from "node:assert/strict";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, fakeManifest, rejectsWith, testConfig, userSession } from "./tracker_helpers.ts";

Deno.test("tracker answers each user and group command and refuses what is not allowed", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path));
  using c = await connect(tracker.addr);
  assert.deepEqual(await c.request("ping"), { pong: true });
  assert.equal(tracker.clientCount(), 0, "a ping does not make a client");

  const alice = await userSession(c, "alice");
  assert.equal(tracker.clientCount(), 1);
  const bob = await userSession(c, "bob");
  const carol = await userSession(c, "carol");
  await rejectsWith(c.request("create_user", { user: "alice", password: "x" }), "ALREADY_EXISTS");
  await rejectsWith(c.request("login", { user: "alice", password: "wrong" }), "BAD_CREDENTIALS");
  await rejectsWith(c.request("login", { user: "nobody", password: "x" }), "BAD_CREDENTIALS");
  await rejectsWith(c.request("whoami", { token: "f".repeat(64) }), "NOT_LOGGED_IN");
  assert.equal((await c.request<{ user: string }>("whoami", { token: bob })).user, "bob");

  assert.deepEqual(await c.request("create_group", { token: alice, group: "g1" }), { group: "g1" });
  await rejectsWith(c.request("create_group", { token: bob, group: "g1" }), "ALREADY_EXISTS");
  await rejectsWith(c.request("join_group", { token: bob, group: "nope" }), "NOT_FOUND");
  assert.deepEqual(await c.request("join_group", { token: bob, group: "g1" }), {
    group: "g1",
    status: "pending",
  });
  await rejectsWith(c.request("join_group", { token: bob, group: "g1" }), "ALREADY_EXISTS");
  await c.request("join_group", { token: carol, group: "g1" });
  await rejectsWith(c.request("list_requests", { token: bob, group: "g1" }), "FORBIDDEN");
  assert.deepEqual(await c.request("list_requests", { token: alice, group: "g1" }), {
    group: "g1",
    requests: ["bob", "carol"],
  });
  await rejectsWith(
    c.request("accept_request", { token: bob, group: "g1", user: "bob" }),
    "FORBIDDEN",
  );
  await c.request("accept_request", { token: alice, group: "g1", user: "bob" });
  await c.request("reject_request", { token: alice, group: "g1", user: "carol" });
  await rejectsWith(
    c.request("reject_request", { token: alice, group: "g1", user: "carol" }),
    "NOT_FOUND",
  );
  const groups = await c.request<{ groups: { group: string; members: number; role: string }[] }>(
    "list_groups",
    { token: bob },
  );
  assert.deepEqual(groups.groups.map((g) => [g.group, g.members, g.role]), [["g1", 2, "member"]]);

  const result = await c.request("leave_group", { token: alice, group: "g1" });
  assert.deepEqual(result, { group: "g1", newOwner: "bob", removed: false });
  await rejectsWith(c.request("leave_group", { token: alice, group: "g1" }), "FORBIDDEN");
});

Deno.test("tracker shares, lists, hands out and stops sharing files among members only", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path));
  using c = await connect(tracker.addr);
  const alice = await userSession(c, "alice");
  const bob = await userSession(c, "bob");
  await c.request("create_group", { token: alice, group: "g1" });
  const manifest = fakeManifest("one");
  const share = { group: "g1", name: "a b.txt", manifest };

  await rejectsWith(
    c.request("upload_file", { token: bob, ...share, addr: "127.0.0.1:9002" }),
    "FORBIDDEN",
  );
  await rejectsWith(c.request("list_files", { token: bob, group: "g1" }), "FORBIDDEN");
  await rejectsWith(
    c.request("download_file", { token: bob, group: "g1", name: "a b.txt" }),
    "FORBIDDEN",
  );
  const up = await c.request("upload_file", { token: alice, ...share, addr: "127.0.0.1:9001" });
  assert.deepEqual(up, { group: "g1", name: "a b.txt", fileHash: manifest.fileHash, seeders: 1 });

  await c.request("join_group", { token: bob, group: "g1" });
  await c.request("accept_request", { token: alice, group: "g1", user: "bob" });
  const second = await c.request<{ seeders: number }>("upload_file", {
    token: bob,
    ...share,
    addr: "127.0.0.1:9002",
  });
  assert.equal(second.seeders, 2);
  await rejectsWith(
    c.request("upload_file", {
      token: bob,
      ...share,
      manifest: fakeManifest("other"),
      addr: "127.0.0.1:9002",
    }),
    "CONFLICT",
  );
  const files = await c.request<{ files: unknown[] }>("list_files", { token: bob, group: "g1" });
  assert.deepEqual(files.files, [{
    name: "a b.txt",
    size: 10,
    fileHash: manifest.fileHash,
    seeders: 2,
    partials: 0,
  }]);
  const download = await c.request<{ manifest: unknown; peers: { user: string }[] }>(
    "download_file",
    { token: bob, group: "g1", name: "a b.txt" },
  );
  assert.deepEqual(download.manifest, manifest);
  assert.deepEqual(download.peers.map((p) => p.user).sort(), ["alice", "bob"]);
  await rejectsWith(
    c.request("download_file", { token: bob, group: "g1", name: "none" }),
    "NOT_FOUND",
  );

  await c.request("stop_share", { token: alice, group: "g1", name: "a b.txt" });
  await rejectsWith(
    c.request("stop_share", { token: alice, group: "g1", name: "a b.txt" }),
    "NOT_FOUND",
  );
  const after = await c.request<{ peers: { user: string; addr: string }[] }>("download_file", {
    token: bob,
    group: "g1",
    name: "a b.txt",
  });
  assert.deepEqual(after.peers, [{ user: "bob", addr: "127.0.0.1:9002" }]);

  assert.deepEqual(await c.request("logout", { token: bob }), {});
  await rejectsWith(c.request("list_files", { token: bob, group: "g1" }), "NOT_LOGGED_IN");
  await rejectsWith(
    c.request("download_file", { token: alice, group: "g1", name: "a b.txt" }),
    "UNAVAILABLE",
  );
});

Deno.test("tracker status and digest describe the replica", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path, { id: 3 }));
  using c = await connect(tracker.addr);
  await userSession(c, "dave");
  const { memory, ...status } = await c.request<TrackerReplies["status"]>("status");
  assert.deepEqual(status, {
    id: 3,
    addr: tracker.addr,
    links: [],
    versionVector: { "3": 2 },
    conflicts: { count: 0, recent: [] },
    writes: "ok",
  });
  assert.ok(memory.rssBytes > 0 && memory.peakRssBytes >= memory.rssBytes, JSON.stringify(memory));
  const digest = await c.request<{ digest: string; ops: number }>("digest");
  assert.deepEqual(digest, { digest: tracker.digest(), ops: 2 });
});

Deno.test("tracker still answers a retried write after a restart past a snapshot", async () => {
  await using dir = await tempDir();
  const config = testConfig(dir.path, { snapshotEveryOps: 1 });
  const rid = crypto.randomUUID();
  let token: string;
  {
    await using tracker = await startTracker(config);
    using c = await connect(tracker.addr);
    token = await userSession(c, "erin");
    assert.deepEqual(await c.request("create_group", { token, group: "g", rid }), { group: "g" });
  }
  await using again = await startTracker(config);
  using c = await connect(again.addr);
  const before = await c.request<{ ops: number }>("digest");
  assert.deepEqual(await c.request("create_group", { token, group: "g", rid }), { group: "g" });
  assert.equal((await c.request<{ ops: number }>("digest")).ops, before.ops);
  await rejectsWith(c.request("create_group", { token, group: "g" }), "ALREADY_EXISTS");
});
