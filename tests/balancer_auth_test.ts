/**
 * The balancer takes only trackers that prove the cluster secret: unproven,
 * wrong-secret, replayed and relayed registrations are refused and never
 * dialed, load reports count only on the connection that registered, and
 * without a secret only loopback trackers are taken.
 */
import assert from "node:assert/strict";
import { RpcClient } from "../protocol/rpc_client.ts";
import { newNonce } from "../protocol/cluster_messages.ts";
import { trackerProof } from "../protocol/balancer_auth.ts";
import type { BalancerReplies, TrackerLoad } from "../protocol/balancer_messages.ts";
import { type BalancerConfig, testConfig as balancerTestConfig } from "../balancer/config.ts";
import { startBalancer } from "../balancer/balancer_server.ts";
import { startBalancerLink } from "../tracker/balancer_link.ts";
import { FakeTracker, waitFor } from "./balancer_fakes.ts";
import { startProxy } from "./cluster_helpers.ts";

const SECRET = "balancer-test-secret";

function testConfig(extra: Partial<BalancerConfig> = {}): BalancerConfig {
  return balancerTestConfig({ clusterSecret: SECRET, ...extra });
}

/** Runs the tracker's side of the proof by hand; `options` change what is proved. */
async function proveAndRegister(
  rpc: RpcClient,
  addr: string,
  options: { secret?: string; balancer?: string } = {},
): Promise<{ live: boolean }> {
  const trackerNonce = newNonce();
  const { nonce } = await rpc.request<{ nonce: string }>("tracker_hello", {
    addr,
    nonce: trackerNonce,
  });
  const balancer = options.balancer ?? rpc.remoteAddr;
  const proof = trackerProof(options.secret ?? SECRET, {
    trackerNonce,
    balancerNonce: nonce,
    balancerAddr: balancer,
    trackerAddr: addr,
  });
  return await rpc.request("register_tracker", { addr, clients: 0, balancer, proof });
}

async function list(addr: string): Promise<TrackerLoad[]> {
  const rpc = await RpcClient.connect(addr);
  try {
    return (await rpc.request<BalancerReplies["list_trackers"]>("list_trackers")).trackers;
  } finally {
    rpc.close();
    await rpc.closed;
  }
}

async function withRpc<T>(addr: string, body: (rpc: RpcClient) => Promise<T>): Promise<T> {
  const rpc = await RpcClient.connect(addr);
  try {
    return await body(rpc);
  } finally {
    rpc.close();
    await rpc.closed;
  }
}

Deno.test("balancer refuses unproven, wrong-secret and replayed registrations and never dials them", async () => {
  const logs: string[] = [];
  await using balancer = await startBalancer(testConfig({ log: (l) => logs.push(l) }));
  await using rogue = new FakeTracker();
  await withRpc(balancer.addr, async (rpc) => {
    await assert.rejects(rpc.request("register_tracker", { addr: rogue.addr, clients: 0 }), {
      code: "UNAUTHORIZED",
    });
    await rpc.request("tracker_hello", { addr: rogue.addr, nonce: newNonce() });
    await assert.rejects(rpc.request("register_tracker", { addr: rogue.addr, clients: 0 }), {
      code: "UNAUTHORIZED",
    });
    await assert.rejects(proveAndRegister(rpc, rogue.addr, { secret: "a wrong guess" }), {
      code: "UNAUTHORIZED",
    });
    // A proof for another address of the balancer (as through a relay) proves nothing here.
    await assert.rejects(proveAndRegister(rpc, rogue.addr, { balancer: "127.0.0.1:1" }), {
      code: "UNAUTHORIZED",
    });
  });
  // A good proof seen on one connection, replayed on another with fresh nonces.
  let seen: Record<string, unknown> | undefined;
  await withRpc(balancer.addr, async (first) => {
    const trackerNonce = newNonce();
    const { nonce } = await first.request<{ nonce: string }>("tracker_hello", {
      addr: rogue.addr,
      nonce: trackerNonce,
    });
    const balancerAddr = first.remoteAddr;
    seen = {
      addr: rogue.addr,
      clients: 0,
      balancer: balancerAddr,
      proof: trackerProof(SECRET, {
        trackerNonce,
        balancerNonce: nonce,
        balancerAddr,
        trackerAddr: rogue.addr,
      }),
    };
  });
  await withRpc(balancer.addr, async (second) => {
    await second.request("tracker_hello", { addr: rogue.addr, nonce: newNonce() });
    await assert.rejects(second.request("register_tracker", seen), { code: "UNAUTHORIZED" });
    await assert.rejects(second.request<BalancerReplies["get_tracker"]>("get_tracker"), {
      code: "UNAVAILABLE",
    });
  });
  assert.deepEqual(await list(balancer.addr), [], "nothing unproven enters the table");
  assert.equal(rogue.pings, 0, "the balancer never dialed an unproven address");
  assert.ok(logs.some((l) => l.includes(`refused tracker ${rogue.addr}`)), logs.join("\n"));
});

Deno.test("balancer takes a proven tracker and says its trackers are verified", async () => {
  await using balancer = await startBalancer(testConfig());
  await using tracker = new FakeTracker();
  await withRpc(balancer.addr, async (rpc) => {
    assert.deepEqual(await proveAndRegister(rpc, tracker.addr), { live: true });
    const picked = await rpc.request<BalancerReplies["get_tracker"]>("get_tracker");
    assert.deepEqual(picked, { addr: tracker.addr, clients: 0, verified: true });
  });
});

Deno.test("balancer takes load reports only on the connection that registered the tracker", async () => {
  await using balancer = await startBalancer(testConfig());
  await using tracker = new FakeTracker();
  await using other = new FakeTracker();
  await withRpc(balancer.addr, async (owner) => {
    await proveAndRegister(owner, tracker.addr);
    await owner.request("report_load", { addr: tracker.addr, clients: 3 });
    await withRpc(balancer.addr, async (stranger) => {
      await assert.rejects(
        stranger.request("report_load", { addr: tracker.addr, clients: 1_000_000 }),
        { code: "UNAUTHORIZED" },
      );
    });
    // Registering one tracker does not let the connection speak for another.
    await assert.rejects(owner.request("report_load", { addr: other.addr, clients: 0 }), {
      code: "UNAUTHORIZED",
    });
    assert.deepEqual(await list(balancer.addr), [{ addr: tracker.addr, clients: 3, live: true }]);
  });
  assert.equal(other.pings, 0);
});

Deno.test("a tracker's proof relayed through another address is refused; a direct one registers", async () => {
  await using balancer = await startBalancer(testConfig());
  await using relay = startProxy();
  relay.target = balancer.addr;
  await using tracker = new FakeTracker();
  const events: string[] = [];
  const link = (to: string) =>
    startBalancerLink({
      balancers: [to],
      trackerAddr: tracker.addr,
      clusterSecret: SECRET,
      clientCount: () => 0,
      reportIntervalMs: 30,
      maxBackoffMs: 100,
      onEvent: (e) => events.push(`${e.balancer} ${e.state}`),
    });
  {
    await using _relayed = link(relay.addr);
    await waitFor(
      "the relayed registration to be refused",
      () => events.includes(`${relay.addr} refused`) ? true : undefined,
    );
  }
  assert.deepEqual(await list(balancer.addr), []);
  assert.equal(tracker.pings, 0);
  await using _direct = link(balancer.addr);
  await waitFor(
    "the direct registration",
    () => events.includes(`${balancer.addr} registered`) ? true : undefined,
  );
  assert.deepEqual(await list(balancer.addr), [{ addr: tracker.addr, clients: 0, live: true }]);
});

Deno.test("a tracker with the wrong secret is refused and told why", async () => {
  const logs: string[] = [];
  await using balancer = await startBalancer(testConfig({ log: (l) => logs.push(l) }));
  await using tracker = new FakeTracker();
  const events: string[] = [];
  {
    await using _link = startBalancerLink({
      balancers: [balancer.addr],
      trackerAddr: tracker.addr,
      clusterSecret: "not the cluster's",
      clientCount: () => 0,
      reportIntervalMs: 30,
      maxBackoffMs: 50,
      onEvent: (e) => events.push(`${e.state}: ${e.reason ?? ""}`),
    });
    // Retries go on in the background (the balancer refuses each), but the refusal is told once.
    const refusals = () => logs.filter((l) => /wrong cluster secret/.test(l)).length;
    await waitFor("three refusals", () => refusals() >= 3 ? true : undefined);
  }
  assert.equal(events.length, 1, events.join("\n"));
  assert.match(events[0]!, /^refused: .*wrong cluster secret/);
  assert.deepEqual(await list(balancer.addr), []);
});

Deno.test("a balancer without a secret takes loopback trackers only, unverified, and says so", async () => {
  const logs: string[] = [];
  await using balancer = await startBalancer(
    testConfig({ clusterSecret: undefined, log: (l) => logs.push(l) }),
  );
  assert.ok(logs.some((l) => l.includes("loopback")), logs.join("\n"));
  await using tracker = new FakeTracker();
  await withRpc(balancer.addr, async (rpc) => {
    await assert.rejects(rpc.request("register_tracker", { addr: "10.1.2.3:7000", clients: 0 }), {
      code: "UNAUTHORIZED",
      message: /loopback only/,
    });
    await rpc.request("register_tracker", { addr: tracker.addr, clients: 0 });
    const picked = await rpc.request<BalancerReplies["get_tracker"]>("get_tracker");
    assert.deepEqual(picked, { addr: tracker.addr, clients: 0, verified: false });
  });
  assert.deepEqual((await list(balancer.addr)).map((t) => t.addr), [tracker.addr]);
});

Deno.test("balancer answers malformed proof messages with BAD_REQUEST and keeps serving", async () => {
  await using balancer = await startBalancer(testConfig());
  await using tracker = new FakeTracker();
  await withRpc(balancer.addr, async (rpc) => {
    const bad: [string, Record<string, unknown>][] = [
      ["tracker_hello", { addr: tracker.addr }],
      ["tracker_hello", { addr: tracker.addr, nonce: "zz" }],
      ["tracker_hello", { addr: tracker.addr, nonce: "A".repeat(64) }],
      ["tracker_hello", { addr: "nope", nonce: newNonce() }],
      ["register_tracker", { addr: tracker.addr, clients: 0, proof: 42 }],
      ["register_tracker", { addr: tracker.addr, clients: 0, proof: "x".repeat(64) }],
      ["register_tracker", { addr: tracker.addr, clients: 0, balancer: "::", proof: newNonce() }],
    ];
    for (const [cmd, fields] of bad) {
      await assert.rejects(rpc.request(cmd, fields), { code: "BAD_REQUEST" }, cmd);
    }
    assert.deepEqual(await proveAndRegister(rpc, tracker.addr), { live: true });
  });
});
