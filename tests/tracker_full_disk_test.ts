import assert from "node:assert/strict";
import { startTracker } from "../tracker/tracker_server.ts";
import { Replica } from "../tracker/replica.ts";
import { OpStore } from "../tracker/storage.ts";
import type { Op } from "../tracker/ops.ts";
import { tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig, userSession, waitFor } from "./tracker_helpers.ts";

/** An op log whose disk can be made full: commits fail as SQLite fails them. */
class FillableStore extends OpStore {
  full = false;

  override append(ops: readonly Op[]): void {
    if (this.full) throw diskFull();
    super.append(ops);
  }

  override probeSpace(bytes: number): void {
    if (this.full) throw diskFull();
    super.probeSpace(bytes);
  }
}

function diskFull(): Error {
  return Object.assign(new Error("database or disk is full"), { code: "ERR_SQLITE_ERROR" });
}

Deno.test("a tracker on a full disk refuses writes with the cause, serves reads, and resumes by itself", async () => {
  await using dir = await tempDir();
  let store: FillableStore | undefined;
  const config = testConfig(dir.path, { writeRetryMs: 50 });
  const openStore = (path: string) => store = new FillableStore(path);
  let digestBefore: string;
  {
    await using tracker = await startTracker(config, { openStore });
    using c = await connect(tracker.addr);
    const token = await userSession(c, "alice");
    await c.request("create_group", { token, group: "before" });

    store!.full = true;
    const refused = await rejectsWith(
      c.request("create_group", { token, group: "lost" }),
      "UNAVAILABLE",
    );
    assert.match(refused.message, /disk is full/);
    // Refused at once while the disk stays full, with the same cause.
    await rejectsWith(c.request("create_group", { token, group: "lost2" }), "UNAVAILABLE");
    assert.ok(
      config.logLines.some((line) => /cannot commit.*database or disk is full/.test(line)),
      config.logLines.join("\n"),
    );
    // Reads and heartbeats go on, and the refused write left nothing behind.
    assert.deepEqual(await c.request("ping"), { pong: true });
    assert.match((await c.request<{ writes: string }>("status")).writes, /disk is full/);
    const { groups } = await c.request<{ groups: { group: string }[] }>("list_groups", { token });
    assert.deepEqual(groups.map((g) => g.group).sort(), ["before"]);

    store!.full = false;
    await waitFor(
      () => c.request("create_group", { token, group: "after" }).catch(() => undefined),
      10_000,
      "writes to resume",
    );
    assert.ok(config.logLines.some((line) => /writes resume/.test(line)));
    assert.equal((await c.request<{ writes: string }>("status")).writes, "ok");
    digestBefore = tracker.digest();
  }
  // The log has every acknowledged op and no gap: reopened (from its
  // snapshot and what the log keeps after it), it holds the same state.
  const reopened = Replica.open({ id: config.id, dataDir: dir.path, snapshotEveryOps: 5000 });
  try {
    assert.equal(reopened.digest().digest, digestBefore);
    const groups = [...reopened.state.groups.keys()].sort();
    assert.deepEqual(groups, ["after", "before"]);
  } finally {
    reopened.close();
  }
});

Deno.test("a replica whose commit fails undoes the failed ops: the next ops take the same places", async () => {
  await using dir = await tempDir();
  let store: FillableStore | undefined;
  const replica = Replica.open({
    id: 1,
    dataDir: dir.path,
    snapshotEveryOps: 5000,
    writeRetryMs: 20,
    openStore: (path) => store = new FillableStore(path),
  });
  try {
    const body = (user: string) => ({
      bodies: [{ type: "create_user" as const, user, salt: "00", hash: "00" }],
      data: {},
    });
    await replica.write(() => body("a"));
    const digest = replica.digest().digest;
    store!.full = true;
    await assert.rejects(replica.write(() => body("b")), /disk is full/);
    assert.equal(replica.held.get(1), 1);
    assert.equal(replica.digest().digest, digest);
    store!.full = false;
    await waitFor(() => replica.write(() => body("c")).catch(() => undefined), 5000, "a write");
    assert.equal(replica.held.get(1), 2);
    assert.equal(replica.opAt(1, 2)?.body.type, "create_user");
  } finally {
    replica.close();
  }
});
