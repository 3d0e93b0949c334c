import assert from "node:assert/strict";
import { createPeerCert } from "./certificates.ts";
import { writeAll } from "./conn_io.ts";
import { listenReleasingTls } from "./tls_server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads until a clean end; a read that throws (no close_notify, reset) fails the test. */
async function readToEnd(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(4096);
  let text = "";
  for (let reads = 0; reads < 10_000; reads++) {
    const n = await conn.read(buffer);
    if (n === null) return text;
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  throw new Error("no end of stream");
}

Deno.test("a releasing TLS listener talks TLS both ways and ends a closed connection cleanly", async () => {
  const identity = await createPeerCert(["127.0.0.1"]);
  using listener = await listenReleasingTls("127.0.0.1", 0, identity);
  const { port } = listener.addr as Deno.NetAddr;
  const serving = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    const big = encoder.encode(
      `echo ${decoder.decode(buffer.subarray(0, n ?? 0))} `.repeat(20_000),
    );
    await writeAll(conn, big);
    assert.equal((conn.remoteAddr as Deno.NetAddr).hostname, "127.0.0.1");
    conn.close();
    assert.throws(() => conn.close(), Deno.errors.BadResource);
    return big.byteLength;
  })();
  const client = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [identity.cert] });
  try {
    await client.write(encoder.encode("hi"));
    const text = await readToEnd(client);
    assert.equal(text.length, await serving);
    assert.ok(text.startsWith("echo hi "));
  } finally {
    client.close();
  }
});

Deno.test("a releasing TLS listener refuses a taken port and ends pending accepts when closed", async () => {
  const identity = await createPeerCert(["127.0.0.1"]);
  const listener = await listenReleasingTls("127.0.0.1", 0, identity);
  const { port } = listener.addr as Deno.NetAddr;
  await assert.rejects(listenReleasingTls("127.0.0.1", port, identity), Deno.errors.AddrInUse);
  const pending = listener.accept();
  listener.close();
  await assert.rejects(pending, Deno.errors.BadResource);
  assert.throws(() => listener.close(), Deno.errors.BadResource);
});

Deno.test("a connection closed before its handshake is hung up on at once", async () => {
  const identity = await createPeerCert(["127.0.0.1"]);
  using listener = await listenReleasingTls("127.0.0.1", 0, identity);
  const { port } = listener.addr as Deno.NetAddr;
  const silent = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const conn = await listener.accept();
    const reading = conn.read(new Uint8Array(16));
    conn.close();
    await assert.rejects(reading, Deno.errors.BadResource);
    // The peer sees the end although it never said a word.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const end = await Promise.race([
      silent.read(new Uint8Array(16)).catch(() => null),
      new Promise<"still open">((resolve) =>
        timer = setTimeout(() => resolve("still open"), 10_000)
      ),
    ]);
    clearTimeout(timer);
    assert.equal(end, null);
  } finally {
    silent.close();
  }
});
