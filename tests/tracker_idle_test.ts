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
