/**
 * The balancer server on real sockets: stand-in trackers answer its pings,
 * and requests go through the real RPC client.
 */
import assert from "node:assert/strict";
import { RpcClient } from "../protocol/rpc_client.ts";
import type { BalancerReplies, TrackerLoad } from "../protocol/balancer_messages.ts";
import { type BalancerConfig, testConfig as balancerTestConfig } from "../balancer/config.ts";
import { startBalancer } from "../balancer/balancer_server.ts";
import { FakeTracker, RawLines, waitFor } from "./balancer_fakes.ts";

function testConfig(): BalancerConfig {
  return balancerTestConfig({ maxMisses: 2 });
}

async function list(client: RpcClient): Promise<TrackerLoad[]> {
  return (await client.request<BalancerReplies["list_trackers"]>("list_trackers")).trackers;
}

async function pick(client: RpcClient, exclude: string[] = []): Promise<string> {
  return (await client.request<BalancerReplies["get_tracker"]>("get_tracker", { exclude })).addr;
}

function waitLive(client: RpcClient, addr: string, live: boolean): Promise<true> {
  return waitFor(`${addr} live=${live}`, async () => {
    const row = (await list(client)).find((t) => t.addr === addr);
    return row?.live === live ? true : undefined;
  });
}

Deno.test("balancer hands out the least-loaded live tracker as loads change", async () => {
  await using balancer = await startBalancer(testConfig());
  await using a = new FakeTracker();
  await using b = new FakeTracker();
  await using c = new FakeTracker();
  const client = await RpcClient.connect(balancer.addr);
  try {
    for (const [t, clients] of [[a, 5], [b, 2], [c, 9]] as const) {
      const reply = await client.request("register_tracker", { addr: t.addr, clients });
      assert.deepEqual(reply, { live: true });
    }
    assert.equal(await pick(client), b.addr);
    await client.request("report_load", { addr: b.addr, clients: 10 });
    assert.equal(await pick(client), a.addr);
    await client.request("report_load", { addr: a.addr, clients: 12 });
    await client.request("report_load", { addr: c.addr, clients: 1 });
    assert.equal(await pick(client), c.addr);
    assert.equal(await pick(client, [c.addr]), b.addr);
    const loads = Object.fromEntries((await list(client)).map((t) => [t.addr, t.clients]));
    assert.deepEqual(loads, { [a.addr]: 12, [b.addr]: 11, [c.addr]: 2 });
  } finally {
    client.close();
    await client.closed;
  }
});

Deno.test("balancer takes out a tracker that stops answering and brings it back", async () => {
  await using balancer = await startBalancer(testConfig());
  await using a = new FakeTracker();
  await using b = new FakeTracker();
  const client = await RpcClient.connect(balancer.addr);
  try {
    await client.request("register_tracker", { addr: a.addr, clients: 0 });
    await client.request("register_tracker", { addr: b.addr, clients: 7 });
    assert.equal(await pick(client), a.addr);
    a.answering = false;
    await waitLive(client, a.addr, false);
    assert.equal(await pick(client), b.addr, "an out tracker is not handed out");
    assert.ok((await list(client)).some((t) => t.addr === a.addr), "it stays in the table");
    a.answering = true;
    await waitLive(client, a.addr, true);
    await client.request("report_load", { addr: a.addr, clients: 0 });
    assert.equal(await pick(client), a.addr);
  } finally {
    client.close();
    await client.closed;
  }
});

Deno.test("balancer keeps a healthy tracker in service after false report_dead hints", async () => {
  await using balancer = await startBalancer(testConfig());
  await using a = new FakeTracker();
  const client = await RpcClient.connect(balancer.addr);
  try {
    await client.request("register_tracker", { addr: a.addr, clients: 0 });
    const pingsBefore = a.pings;
    const hints = Array.from({ length: 50 }, () => client.request("report_dead", { addr: a.addr }));
    for (const reply of await Promise.all(hints)) assert.deepEqual(reply, { checking: true });
    await waitFor("a hint-driven check", () => (a.pings > pingsBefore ? true : undefined));
    assert.deepEqual(await list(client), [{ addr: a.addr, clients: 0, live: true }]);
    assert.equal(await pick(client), a.addr);
    await assert.rejects(client.request("report_dead", { addr: "127.0.0.1:1" }), {
      code: "NOT_FOUND",
    });
  } finally {
    client.close();
    await client.closed;
  }
});

Deno.test("balancer answers UNAVAILABLE with a clear message when every tracker is out", async () => {
  await using balancer = await startBalancer(testConfig());
  const client = await RpcClient.connect(balancer.addr);
  const fakes = [new FakeTracker(), new FakeTracker(), new FakeTracker()];
  try {
    await assert.rejects(pick(client), { code: "UNAVAILABLE", message: /none has registered/ });
    for (const t of fakes) await client.request("register_tracker", { addr: t.addr, clients: 1 });
    for (const t of fakes) await t[Symbol.asyncDispose]();
    for (const t of fakes) await waitLive(client, t.addr, false);
    await assert.rejects(pick(client), {
      code: "UNAVAILABLE",
      message: "No live tracker: all 3 known trackers are out",
    });
  } finally {
    for (const t of fakes) await t[Symbol.asyncDispose]();
    client.close();
    await client.closed;
  }
});

Deno.test("balancer answers garbage and oversized input with errors and keeps serving", async () => {
  await using balancer = await startBalancer({ ...testConfig(), maxLineBytes: 4096 });
  await using a = new FakeTracker();
  const client = await RpcClient.connect(balancer.addr);
  try {
    await client.request("register_tracker", { addr: a.addr, clients: 3 });
    await using raw = await RawLines.connect(balancer.addr);
    const cases: [string, string][] = [
      ["not json at all\n", "BAD_JSON"],
      ["[1,2]\n", "BAD_JSON"],
      ['{"cmd":"ping"}\n', "BAD_REQUEST"],
      ['{"id":1,"cmd":"steal_trackers"}\n', "UNKNOWN_COMMAND"],
      ['{"id":2,"cmd":"get_tracker","exclude":"x"}\n', "BAD_REQUEST"],
      ['{"id":3,"cmd":"register_tracker","addr":"nope","clients":1}\n', "BAD_REQUEST"],
      [`{"id":4,"cmd":"report_load","addr":"${a.addr}","clients":-5}\n`, "BAD_REQUEST"],
      ['{"id":5,"v":99,"cmd":"ping"}\n', "VERSION_MISMATCH"],
      ['{"id":6,"cmd":"__proto__"}\n', "UNKNOWN_COMMAND"],
    ];
    for (const [line, code] of cases) {
      await raw.send(line);
      const reply = await raw.next();
      assert.equal(reply?.["ok"], false, line);
      assert.equal((reply?.["error"] as { code: string }).code, code, line);
    }
    await raw.send(new Uint8Array(3 * 1024).fill(0xff));
    await raw.send("\n");
    assert.equal((await raw.next())?.["ok"], false, "invalid UTF-8 is an error, not a crash");
    await raw.send("x".repeat(64 * 1024));
    const tooLong = await raw.next();
    assert.equal((tooLong?.["error"] as { code: string }).code, "FRAME_TOO_LARGE");
    assert.equal(await raw.next(), null, "the connection is closed after a broken frame");
    assert.deepEqual(await list(client), [{ addr: a.addr, clients: 3, live: true }]);
    assert.equal(await pick(client), a.addr);
  } finally {
    client.close();
    await client.closed;
  }
});

Deno.test("balancer checks at once on report_dead, and needs real misses to take one out", async () => {
  const config = { ...testConfig(), pingIntervalMs: 60_000, hintMinGapMs: 0 };
  await using balancer = await startBalancer(config);
  const a = new FakeTracker();
  const client = await RpcClient.connect(balancer.addr);
  try {
    await client.request("register_tracker", { addr: a.addr, clients: 0 });
    await a[Symbol.asyncDispose]();
    await client.request("report_dead", { addr: a.addr });
    await waitFor("hint-driven checks to take it out", async () => {
      await client.request("report_dead", { addr: a.addr });
      const row = (await list(client)).find((t) => t.addr === a.addr);
      return row?.live === false ? true : undefined;
    });
    await assert.rejects(pick(client), { code: "UNAVAILABLE" });
  } finally {
    await a[Symbol.asyncDispose]();
    client.close();
    await client.closed;
  }
});

Deno.test("balancer answers a connection over its limit UNAVAILABLE and closes it", async () => {
  await using balancer = await startBalancer({ ...testConfig(), maxConnections: 1 });
  await using first = await RawLines.connect(balancer.addr);
  await first.request({ id: 1, cmd: "ping" });
  assert.equal((await first.next())?.["ok"], true);
  await using second = await RawLines.connect(balancer.addr);
  const refusal = await second.next();
  assert.equal((refusal?.["error"] as { code?: string } | undefined)?.code, "UNAVAILABLE");
  assert.equal(await second.next(), null);
  await first.request({ id: 2, cmd: "ping" });
  assert.equal((await first.next())?.["ok"], true);
});
