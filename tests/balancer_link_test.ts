/**
 * The tracker-side link against a real balancer: registration, load reports,
 * re-registration after the balancer restarts, and a clean close.
 */
import assert from "node:assert/strict";
import { RpcClient } from "../protocol/rpc_client.ts";
import { startBalancerLink } from "../tracker/balancer_link.ts";
import type { BalancerReplies, TrackerLoad } from "../protocol/balancer_messages.ts";
import { type BalancerConfig, testConfig as balancerTestConfig } from "../balancer/config.ts";
import { startBalancer } from "../balancer/balancer_server.ts";
import { FakeTracker, waitFor } from "./balancer_fakes.ts";
import { startProxy } from "./cluster_helpers.ts";

function testConfig(): BalancerConfig {
  return balancerTestConfig();
}

async function rowOf(balancerAddr: string, addr: string): Promise<TrackerLoad | undefined> {
  const client = await RpcClient.connect(balancerAddr);
  try {
    const reply = await client.request<BalancerReplies["list_trackers"]>("list_trackers");
    return reply.trackers.find((t) => t.addr === addr);
  } finally {
    client.close();
    await client.closed;
  }
}

function waitClients(balancerAddr: string, addr: string, clients: number): Promise<true> {
  return waitFor(`${addr} reporting ${clients} clients`, async () => {
    const row = await rowOf(balancerAddr, addr).catch(() => undefined);
    return row?.live && row.clients === clients ? true : undefined;
  });
}

Deno.test("startBalancerLink() registers the tracker and keeps its load reported", async () => {
  await using balancer = await startBalancer(testConfig());
  await using tracker = new FakeTracker();
  let clients = 4;
  await using _link = startBalancerLink({
    balancers: [balancer.addr],
    trackerAddr: tracker.addr,
    clientCount: () => clients,
    reportIntervalMs: 30,
  });
  await waitClients(balancer.addr, tracker.addr, 4);
  clients = 9;
  await waitClients(balancer.addr, tracker.addr, 9);
});

Deno.test("startBalancerLink() registers again with a restarted balancer", async () => {
  // The balancer's address is a proxy's, so the "restarted" balancer can take
  // any free port and still be found where the first one was.
  await using proxy = startProxy();
  const first = await startBalancer(testConfig());
  proxy.target = first.addr;
  await using tracker = new FakeTracker();
  const link = startBalancerLink({
    balancers: [proxy.addr],
    trackerAddr: tracker.addr,
    clientCount: () => 2,
    reportIntervalMs: 30,
    maxBackoffMs: 100,
  });
  try {
    await waitClients(first.addr, tracker.addr, 2);
    proxy.cut();
    await first.close();
    await using second = await startBalancer(testConfig());
    assert.equal(await rowOf(second.addr, tracker.addr), undefined, "a new balancer knows nothing");
    proxy.target = second.addr;
    proxy.heal();
    await waitClients(second.addr, tracker.addr, 2);
  } finally {
    await first.close();
    await link.close();
  }
});

Deno.test("startBalancerLink() survives an unreachable balancer and closes promptly", async () => {
  await using balancer = await startBalancer(testConfig());
  await using tracker = new FakeTracker();
  const events: string[] = [];
  const link = startBalancerLink({
    balancers: ["127.0.0.1:1", balancer.addr],
    trackerAddr: tracker.addr,
    clientCount: () => {
      throw new Error("a broken counter");
    },
    reportIntervalMs: 30,
    onEvent: (event) => events.push(`${event.balancer} ${event.state}`),
  });
  await waitClients(balancer.addr, tracker.addr, 0);
  await link.close();
  await link.close();
  assert.deepEqual(events, [`${balancer.addr} registered`]);
});
