/**
 * The tracker's connection deadlines, in process: garbage is no first
 * message, however steady; a silent connection is closed and one that keeps
 * its heartbeat is not.
 */
import assert from "node:assert/strict";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { connect, testConfig } from "./tracker_helpers.ts";

const encoder = new TextEncoder();

/** Sends `line` every 50 ms, 40 times (about 2 s), or until the tracker closes the connection. */
async function keepSending(addr: string, line: string): Promise<"closed" | "still open"> {
  const [hostname, port] = addr.split(":");
  const conn = await Deno.connect({ hostname: hostname!, port: Number(port) });
  try {
    for (let i = 0; i < 40; i++) {
      const sent = await conn.write(encoder.encode(line + "\n")).then(() => true, () => false);
      const reply = await conn.read(new Uint8Array(4096)).catch(() => null);
      if (!sent || reply === null) return "closed";
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return "still open";
  } finally {
    conn.close();
  }
}

Deno.test("tracker closes a connection that sends only invalid requests, as soon as its first-message time is up", async () => {
  await using dir = await tempDir();
  const config = testConfig(dir.path, { firstMessageTimeoutMs: 400 });
  await using tracker = await startTracker(config);
  using member = await connect(tracker.addr);
  await member.request("ping");
  assert.equal(await keepSending(tracker.addr, "not json"), "closed");
  assert.equal(await keepSending(tracker.addr, '{"id":1,"cmd":"no_such_command"}'), "closed");
  assert.deepEqual(await member.request("ping"), { pong: true });
});

Deno.test("tracker closes a silent connection and keeps one that sends its heartbeats", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path, { idleTimeoutMs: 400 }));
  const silent = await RpcClient.connect(tracker.addr, { keepAliveMs: 0 });
  // Our own client pings by itself when it has nothing to ask.
  const held = await RpcClient.connect(tracker.addr, { keepAliveMs: 100 });
  try {
    await silent.request("ping");
    const beating = keepSending(tracker.addr, '{"id":1,"cmd":"ping"}');
    await silent.closed;
    assert.equal(silent.isClosed, true);
    assert.equal(await beating, "still open");
    assert.deepEqual(await held.request("ping"), { pong: true });
  } finally {
    silent.close();
    held.close();
  }
});

Deno.test("an idle cluster link keeps itself alive: no reconnect while nothing is written", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  const secret = "idle-link-secret";
  const c2 = testConfig(d2.path, { id: 2, clusterSecret: secret });
  await using t2 = await startTracker(c2);
  const c1 = testConfig(d1.path, { id: 1, clusterSecret: secret, peers: [t2.addr] });
  await using t1 = await startTracker(c1);
  using rpc = await connect(t1.addr);
  const linked = async () => {
    const { links } = await rpc.request<{ links: { state: string }[] }>("status");
    return links.length > 0 && links.every((l) => l.state === "connected");
  };
  for (let i = 0; i < 100 && !(await linked()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(await linked(), "the link never came up");
  const accepted = () => c2.logLines.filter((line) => /cluster link from tracker 1/.test(line));
  const before = accepted().length;
  // Two idle timeouts with nothing to replicate.
  await new Promise((resolve) => setTimeout(resolve, 2 * c2.idleTimeoutMs));
  assert.ok(await linked());
  assert.equal(accepted().length, before, c1.logLines.concat(c2.logLines).join("\n"));
});
