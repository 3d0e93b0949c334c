import assert from "node:assert/strict";
import { tempDir } from "./harness.ts";
import {
  ask,
  converged,
  eventually,
  sameGroups,
  startPeer,
  startProxy,
} from "./cluster_helpers.ts";

Deno.test("cluster: a cut link with writes on both sides heals and converges", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  // Each tracker reaches the other only through a proxy that the test can cut.
  await using toT1 = startProxy();
  await using toT2 = startProxy();
  await using t1 = await startPeer(1, d1.path, ["--peer", toT2.addr, "--advertise", toT1.addr]);
  toT1.target = t1.addr;
  await using t2 = await startPeer(2, d2.path, ["--peer", toT1.addr, "--advertise", toT2.addr]);
  toT2.target = t2.addr;

  await ask(t1.addr, "create_user", { user: "carol", password: "pw" });
  const { token } = await eventually<{ token: string }>(t2.addr, "login", {
    user: "carol",
    password: "pw",
  });
  await converged([t1.addr, t2.addr]);

  toT1.cut();
  toT2.cut();
  for (let i = 0; i < 10; i++) {
    await ask(t1.addr, "create_group", { token, group: `left-${i}` });
    await ask(t2.addr, "create_group", { token, group: `right-${i}` });
  }
  // Both sides create the same name while cut: both say yes, one creation wins after healing.
  await ask(t1.addr, "create_group", { token, group: "both" });
  await ask(t2.addr, "create_group", { token, group: "both" });
  const [a, b] = await Promise.all(
    [t1.addr, t2.addr].map((addr) => ask<{ ops: number }>(addr, "digest")),
  );
  assert.deepEqual([a!.ops, b!.ops], [2 + 11, 2 + 11], "nothing crossed the cut");

  toT1.heal();
  toT2.heal();
  const { ops } = await converged([t1.addr, t2.addr]);
  assert.equal(ops, 2 + 22);
  const groups = await sameGroups([t1.addr, t2.addr], token);
  assert.equal(groups.filter((g) => g === "both").length, 1);
  assert.equal(groups.length, 21);
});
