import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { spawnProgram, tempDir } from "./harness.ts";
import { connect, userSession } from "./tracker_helpers.ts";

const CONNECTIONS = 200;

Deno.test("tracker gives 200 concurrent connections correct answers", async () => {
  await using dir = await tempDir();
  await using tracker = await spawnProgram("tracker", ["--port", "0", "--data-dir", dir.path]);
  using admin = await connect(tracker.addr);
  const alice = await userSession(admin, "alice");
  const bob = await userSession(admin, "bob");
  const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(tracker.addr)));
  try {
    // Everyone races for one name: exactly one wins.
    const race = await Promise.allSettled(
      conns.map((c) => c.request("create_group", { token: alice, group: "contested" })),
    );
    assert.equal(race.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of race) {
      if (r.status === "rejected") {
        assert.ok(r.reason instanceof AppError && r.reason.code === "ALREADY_EXISTS");
      }
    }
    // Each connection creates its own group, then bob asks to join each.
    await Promise.all(
      conns.map((c, i) => c.request("create_group", { token: alice, group: `g${i}` })),
    );
    const joins = await Promise.all(
      conns.map((c, i) =>
        c.request("join_group", { token: bob, group: `g${(i + 1) % CONNECTIONS}` })
      ),
    );
    assert.ok(joins.every((j) => (j as { status: string }).status === "pending"));
    const answers = await Promise.all(
      conns.map((c, i) =>
        c.request<{ requests: string[] }>("list_requests", { token: alice, group: `g${i}` })
      ),
    );
    assert.ok(answers.every((a) => a.requests.length === 1 && a.requests[0] === "bob"));
    const { groups } = await admin.request<{ groups: unknown[] }>("list_groups", { token: bob });
    assert.equal(groups.length, CONNECTIONS + 1);
    const status = await admin.request<{ versionVector: Record<string, number> }>("status");
    assert.equal(status.versionVector["1"], 4 + 1 + 2 * CONNECTIONS);
  } finally {
    for (const c of conns) c.close();
  }
});
