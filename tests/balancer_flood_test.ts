/**
 * The balancer program with a cluster secret: a flood of junk
 * registrations fills nothing, a tracker with the wrong secret is refused,
 * a real tracker that registers afterwards is handed out to clients, and one
 * that reaches the balancer through a relay is refused.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RpcClient } from "../protocol/rpc_client.ts";
import type { BalancerReplies } from "../protocol/balancer_messages.ts";
import { spawnProgram, tempDir } from "./harness.ts";
import { SECRET, startPeer, startProxy } from "./cluster_helpers.ts";
import { waitFor } from "./balancer_fakes.ts";

const JUNK = 1100;

Deno.test("junk registrations fill nothing; a real tracker registered afterwards is handed out", async () => {
  await using dir = await tempDir("balancer-flood-");
  const secretFile = join(dir.path, "cluster.secret");
  await Deno.writeTextFile(secretFile, `${SECRET}\n`, { mode: 0o600 });
  await using balancer = await spawnProgram("balancer", [
    ...["--port", "0", "--ping-interval", "100", "--cluster-secret-file", secretFile],
  ]);
  const rpc = await RpcClient.connect(balancer.addr);
  try {
    const junk = Array.from({ length: JUNK }, (_, i) =>
      rpc.request("register_tracker", {
        addr: `127.0.0.${1 + (i % 200)}:${1000 + i}`,
        clients: 0,
      }).then(() => "taken", (error) => (error as { code: string }).code));
    const answers = await Promise.all(junk);
    assert.deepEqual(new Set(answers), new Set(["UNAUTHORIZED"]));
    const listed = await rpc.request<BalancerReplies["list_trackers"]>("list_trackers");
    assert.deepEqual(listed.trackers, []);

    await using wrong = await startPeer(
      9,
      join(dir.path, "wrong"),
      ["--balancer", balancer.addr],
      "not the cluster secret",
    );
    await using real = await startPeer(1, join(dir.path, "real"), ["--balancer", balancer.addr]);
    const picked = await waitFor(
      "the real tracker to be handed out",
      () => rpc.request<BalancerReplies["get_tracker"]>("get_tracker").catch(() => undefined),
    );
    assert.deepEqual(picked, { addr: real.addr, clients: 0, verified: true });
    const after = await rpc.request<BalancerReplies["list_trackers"]>("list_trackers");
    assert.deepEqual(after.trackers.map((t) => t.addr), [real.addr]);
    await waitFor(
      "the wrong tracker's log line",
      () =>
        wrong.stderrLines.some((l) => l.includes(`balancer ${balancer.addr} refused this tracker`))
          ? true
          : undefined,
    );
  } finally {
    rpc.close();
    await rpc.closed;
  }
});

Deno.test("a real tracker that reaches the balancer through a relay is refused", async () => {
  await using dir = await tempDir("balancer-relay-");
  await using balancer = await spawnProgram("balancer", ["--port", "0", "--ping-interval", "100"], {
    env: { BALANCER_CLUSTER_SECRET: SECRET },
  });
  await using relay = startProxy();
  relay.target = balancer.addr;
  await using tracker = await startPeer(1, join(dir.path, "t"), ["--balancer", relay.addr]);
  await waitFor(
    "the tracker's refusal",
    () =>
      tracker.stderrLines.some((l) => l.includes(`balancer ${relay.addr} refused this tracker`))
        ? true
        : undefined,
  );
  await waitFor(
    "the balancer's log line",
    () =>
      balancer.stderrLines.some((l) => l.includes(`refused tracker ${tracker.addr}`))
        ? true
        : undefined,
  );
  const rpc = await RpcClient.connect(balancer.addr);
  try {
    const listed = await rpc.request<BalancerReplies["list_trackers"]>("list_trackers");
    assert.deepEqual(listed.trackers, []);
  } finally {
    rpc.close();
    await rpc.closed;
  }
});
