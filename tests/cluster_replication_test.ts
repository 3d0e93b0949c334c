import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { tempDir } from "./harness.ts";
import { waitFor } from "./tracker_helpers.ts";
import { ask, converged, digestOf, eventually, sameGroups, startPeer } from "./cluster_helpers.ts";

Deno.test("cluster: a user made on T1 logs in on T2, a group made on T3 shows on T1, digests agree", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  await using d3 = await tempDir();
  await using t1 = await startPeer(1, d1.path);
  await using t2 = await startPeer(2, d2.path, ["--peer", t1.addr]);
  // T3 reads a tracker_info.txt: its own line (port 0) is line 3, the others are its peers.
  const info = `${d3.path}/tracker_info.txt`;
  await Deno.writeTextFile(info, `# cluster\n${t1.addr}\n\n${t2.addr}\n127.0.0.1:0\n`);
  await using t3 = await startPeer(3, d3.path, ["--trackers", info]);
  const all = [t1.addr, t2.addr, t3.addr];

  await ask(t1.addr, "create_user", { user: "alice", password: "pw" });
  const { token } = await eventually<{ token: string }>(t2.addr, "login", {
    user: "alice",
    password: "pw",
  });
  await eventually(t3.addr, "create_group", { token, group: "from-t3" });
  // The group made on T3 shows on T1 a moment later.
  await waitFor(
    async () => {
      const { groups } = await ask<{ groups: { group: string }[] }>(t1.addr, "list_groups", {
        token,
      });
      return groups.some((g) => g.group === "from-t3") ? true : undefined;
    },
    15_000,
    "the group made on T3 to show on T1",
  );
  await converged(all);

  // Writes spread over all three at once.
  await Promise.all(
    Array.from(
      { length: 30 },
      (_, i) => ask(all[i % 3]!, "create_group", { token, group: `g${i}` }),
    ),
  );
  const { ops } = await converged(all);
  assert.equal(ops, 2 + 1 + 30);
  const groups = await sameGroups(all, token);
  assert.equal(groups.length, 31);
  assert.ok(groups.includes("from-t3"));
  // T1 was told of no peer: it learned both as they dialed in, and its links drain to zero.
  await waitFor(async () => {
    const { links } = await ask<{ links: { state: string; behind: number }[] }>(t1.addr, "status");
    const drained = links.length === 2 &&
      links.every((l) => l.state === "connected" && l.behind === 0);
    return drained ? true : undefined;
  });
  assert.equal((await digestOf(t3.addr)).ops, ops);
});

Deno.test("cluster: a write retried on another tracker with its retry id is answered, not applied twice", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  await using t1 = await startPeer(1, d1.path);
  await using t2 = await startPeer(2, d2.path, ["--peer", t1.addr]);
  await ask(t1.addr, "create_user", { user: "bo", password: "pw", rid: "rid-user-0001" });
  const { token } = await eventually<{ token: string }>(t2.addr, "login", {
    user: "bo",
    password: "pw",
  });
  const rid = crypto.randomUUID();
  assert.deepEqual(await ask(t1.addr, "create_group", { token, group: "once", rid }), {
    group: "once",
  });
  const { ops } = await converged([t1.addr, t2.addr]);

  // The client never heard T1's answer and retries on T2 with the same rid.
  assert.deepEqual(await ask(t2.addr, "create_group", { token, group: "once", rid }), {
    group: "once",
  });
  assert.deepEqual(
    await ask(t2.addr, "create_user", { user: "bo", password: "pw", rid: "rid-user-0001" }),
    { user: "bo" },
  );
  assert.equal((await converged([t1.addr, t2.addr])).ops, ops);
  // A new command (another rid) is still refused as it should be.
  await assert.rejects(
    ask(t2.addr, "create_group", { token, group: "once", rid: crypto.randomUUID() }),
    (e) => e instanceof AppError && e.code === "ALREADY_EXISTS",
  );
});
