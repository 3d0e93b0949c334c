import assert from "node:assert/strict";
import { tempDir } from "./harness.ts";
import { waitFor } from "./tracker_helpers.ts";
import { ask, converged, digestOf, eventually, sameGroups, startPeer } from "./cluster_helpers.ts";

Deno.test("cluster: a tracker killed with SIGKILL catches up after restart, nothing duplicated", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  await using d3 = await tempDir();
  await using t1 = await startPeer(1, d1.path);
  await using t2 = await startPeer(2, d2.path, ["--peer", t1.addr]);
  const t3 = await startPeer(3, d3.path, ["--peer", t1.addr, "--peer", t2.addr]);
  try {
    await ask(t1.addr, "create_user", { user: "bob", password: "pw" });
    const { token } = await ask<{ token: string }>(t1.addr, "login", {
      user: "bob",
      password: "pw",
    });
    await eventually(t3.addr, "create_group", { token, group: "before" });
    await converged([t1.addr, t2.addr, t3.addr]);
  } finally {
    t3.child.kill("SIGKILL");
    await t3.status;
  }
  const { token } = await ask<{ token: string }>(t2.addr, "login", { user: "bob", password: "pw" });
  await eventually(t1.addr, "whoami", { token });
  await Promise.all(
    Array.from(
      { length: 60 },
      (_, i) =>
        ask(i % 2 === 0 ? t1.addr : t2.addr, "create_group", { token, group: `while-down-${i}` }),
    ),
  );
  await waitFor(
    async () => {
      const { links } = await ask<{ links: { state: string; behind: number }[] }>(
        t1.addr,
        "status",
      );
      return links.some((l) => l.state !== "connected" && l.behind === 60 + 1) ? true : undefined;
    },
    10_000,
    "T1 to see its link to T3 down and 61 ops behind",
  );

  // Restarted on a new port: it dials its peers, they follow it there.
  await using again = await startPeer(3, d3.path, ["--peer", t1.addr, "--peer", t2.addr]);
  await eventually(again.addr, "create_group", { token, group: "after" });
  const all = [t1.addr, t2.addr, again.addr];
  const { ops } = await converged(all);
  assert.equal(ops, 1 + 1 + 1 + 1 + 60 + 1, "each op exactly once");
  for (const addr of all) assert.equal((await digestOf(addr)).ops, ops);
  assert.equal((await sameGroups(all, token)).length, 62);
});
