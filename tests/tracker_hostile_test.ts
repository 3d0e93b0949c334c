import assert from "node:assert/strict";
import { TRACKER_MAX_LINE_BYTES } from "../tracker/config.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, testConfig } from "./tracker_helpers.ts";

/** A raw TCP connection that reads reply lines. */
async function rawConn(addr: string) {
  const [hostname, port] = addr.split(":");
  const conn = await Deno.connect({ hostname: hostname!, port: Number(port) });
  const decoder = new TextDecoder();
  let buffered = "";
  const buffer = new Uint8Array(64 * 1024);
  return {
    conn,
    send: async (text: string | Uint8Array) => {
      const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
      for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    },
    /** The next reply line, or null when the server closed the connection. */
    reply: async (): Promise<Record<string, unknown> | null> => {
      while (!buffered.includes("\n")) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return null;
        buffered += decoder.decode(buffer.subarray(0, n));
      }
      const at = buffered.indexOf("\n");
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      return JSON.parse(line);
    },
    [Symbol.dispose]: () => {
      try {
        conn.close();
      } catch {
        // closed by the server
      }
    },
  };
}

const codeOf = (reply: Record<string, unknown> | null) =>
  (reply?.["error"] as { code?: string } | undefined)?.code;

Deno.test("tracker answers malformed, unknown and ill-typed messages with error codes and keeps serving", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path));
  using other = await connect(tracker.addr);
  using raw = await rawConn(tracker.addr);
  const cases: [string, string, unknown][] = [
    ["garbage", "BAD_JSON", null],
    ['{"id":4,"cmd":"login","user":"a"', "BAD_JSON", null],
    ["[1,2]", "BAD_JSON", null],
    ['{"cmd":"ping"}', "BAD_REQUEST", null],
    ['{"id":1,"cmd":"format_disk"}', "UNKNOWN_COMMAND", 1],
    ['{"id":2,"cmd":"login","user":5,"password":"x"}', "BAD_REQUEST", 2],
    ['{"id":"s","cmd":"create_group","token":"t","group":"a/b"}', "BAD_REQUEST", "s"],
    ['{"id":3,"cmd":"ping","v":99}', "VERSION_MISMATCH", 3],
    ['{"id":5,"cmd":"list_groups","token":"nope"}', "NOT_LOGGED_IN", 5],
    [
      '{"id":6,"cmd":"peer_ops","ops":[],"seq":1,"mac":"' + "a".repeat(64) + '"}',
      "UNAUTHORIZED",
      6,
    ],
    [
      '{"id":7,"cmd":"peer_hello","from":2,"to":"127.0.0.1:1","reached":"127.0.0.1:1","nonce":"' +
      "a".repeat(64) + '"}',
      "UNAUTHORIZED",
      7,
    ],
    ['{"id":8,"cmd":"peer_digest","seq":1,"mac":"' + "a".repeat(64) + '"}', "UNAUTHORIZED", 8],
  ];
  for (const [line, code, id] of cases) {
    await raw.send(line + "\n");
    const reply = await raw.reply();
    assert.equal(codeOf(reply), code, line);
    assert.equal(reply?.["id"], id, line);
    assert.equal(typeof (reply?.["error"] as { message?: unknown }).message, "string");
  }
  await raw.send(new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0x0a]));
  assert.equal(codeOf(await raw.reply()), "BAD_JSON");
  await raw.send('{"id":9,"cmd":"ping"}\n');
  assert.deepEqual(await raw.reply(), { id: 9, ok: true, data: { pong: true } });
  assert.deepEqual(await other.request("ping"), { pong: true });
});

Deno.test("tracker closes a connection that sends an oversized line, after saying why", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path));
  using other = await connect(tracker.addr);
  using raw = await rawConn(tracker.addr);
  const chunk = new Uint8Array(1024 * 1024).fill(0x61);
  let sent = 0;
  try {
    while (sent <= TRACKER_MAX_LINE_BYTES) {
      await raw.send(chunk);
      sent += chunk.length;
    }
  } catch {
    // the server may close before we finish
  }
  assert.equal(codeOf(await raw.reply()), "FRAME_TOO_LARGE");
  assert.equal(await raw.reply(), null);
  assert.deepEqual(await other.request("ping"), { pong: true });
});

Deno.test("tracker keeps serving after half-closed, truncated and random-byte connections", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path));
  using other = await connect(tracker.addr);
  {
    using raw = await rawConn(tracker.addr);
    await raw.send('{"id":1,"cmd":"ping"}\n{"id":2,"cmd":"pi');
    await raw.conn.closeWrite();
    assert.equal((await raw.reply())?.["id"], 1);
    assert.equal(await raw.reply(), null, "a truncated last line is dropped with the connection");
  }
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 20; round++) {
    using raw = await rawConn(tracker.addr);
    const bytes = new Uint8Array(2000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    await raw.send(bytes);
    await raw.send("\n");
    const reply = await raw.reply();
    assert.equal(reply?.["ok"], false, JSON.stringify(reply));
    assert.equal(codeOf(reply), "BAD_JSON");
  }
  assert.deepEqual(await other.request("ping"), { pong: true });
  assert.equal(tracker.clientCount(), 0);
});

Deno.test("tracker over its connection limit tells the newcomer and keeps serving the others", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path, { maxConnections: 2 }));
  using first = await connect(tracker.addr);
  using second = await connect(tracker.addr);
  await first.request("ping");
  await second.request("ping");
  using third = await rawConn(tracker.addr);
  const refusal = await third.reply();
  assert.equal(codeOf(refusal), "UNAVAILABLE");
  assert.equal(await third.reply(), null);
  assert.deepEqual(await first.request("ping"), { pong: true });
});

Deno.test("tracker caps unfinished input across connections and keeps serving the others", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(
    testConfig(dir.path, { maxBufferedBytes: 1024 * 1024 }),
  );
  using bystander = await connect(tracker.addr);
  using a = await rawConn(tracker.addr);
  using b = await rawConn(tracker.addr);
  // Each sends 600 KiB of a line: together past the 1 MiB cap, so the one
  // whose bytes cross it is told so and closed; the other then finishes its line.
  const partial = '{"id":1,"cmd":"ping","pad":"' + "x".repeat(600 * 1024);
  await Promise.all([a.send(partial).catch(() => {}), b.send(partial).catch(() => {})]);
  const replyA = a.reply().catch(() => null);
  const replyB = b.reply().catch(() => null);
  const [refused, refusal] = await Promise.race([
    replyA.then((r) => ["a", r] as const),
    replyB.then((r) => ["b", r] as const),
  ]);
  // The refusal is written before the close, so it is there to read even if
  // the rest of the refused line made the close a reset.
  assert.equal(codeOf(refusal), "UNAVAILABLE", JSON.stringify(refusal));
  const [survivor, survivorReply] = refused === "a" ? [b, replyB] : [a, replyA];
  await survivor.send('"}\n');
  assert.deepEqual((await survivorReply)?.["data"], { pong: true });
  assert.deepEqual(await bystander.request("ping"), { pong: true });
});
