import assert from "node:assert/strict";
import net from "node:net";
import { acceptConnections, type AcceptOptions } from "./accept_loop.ts";
import type { ConnActivity } from "./conn_watch.ts";

const encoder = new TextEncoder();
const LIMITS = { maxPerSource: 100, firstMessageMs: 60_000, idleMs: 60_000, serverName: "Test" };
const refusal = (message: string) => encoder.encode(`busy: ${message}\n`);

async function readAll(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(1024);
  let text = "";
  while (true) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  return text;
}

Deno.test("acceptConnections() refuses a connection over the cap and closes it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = Promise.withResolvers<void>();
  const held: Deno.Conn[] = [];
  const loop = acceptConnections(listener, {
    ...LIMITS,
    maxConnections: 1,
    refusal,
    serve: (conn) => {
      held.push(conn);
      served.resolve();
      return new Promise<void>((resolve) => {
        conn.read(new Uint8Array(1)).catch(() => null).then(() => resolve());
      });
    },
  });
  const { port } = listener.addr as Deno.NetAddr;
  const first = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await served.promise;
    assert.equal(loop.size, 1);
    const second = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      assert.equal(await readAll(second), "busy: Test is at its limit of 1 connections\n");
    } finally {
      second.close();
    }
    assert.equal(held.length, 1);
  } finally {
    first.close();
    await loop.close();
  }
});

Deno.test("acceptConnections() close() ends every connection it serves", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = Promise.withResolvers<void>();
  const loop = acceptConnections(listener, {
    ...LIMITS,
    maxConnections: 4,
    refusal,
    serve: async (conn) => {
      served.resolve();
      await conn.read(new Uint8Array(1)).catch(() => null);
    },
  });
  const { port } = listener.addr as Deno.NetAddr;
  const client = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await served.promise;
    await loop.close();
    assert.equal(loop.size, 0);
    assert.equal(await readAll(client), "");
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
  } finally {
    client.close();
  }
});

/**
 * A served connection that reports what it hears: "hello" greets, "work"
 * starts a busy spell that never ends; it answers "ok" to each.
 */
function serveReporting(conn: Deno.Conn, activity: ConnActivity): Promise<void> {
  return (async () => {
    const buffer = new Uint8Array(256);
    const decoder = new TextDecoder();
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      activity.heard();
      const text = decoder.decode(buffer.subarray(0, n));
      if (text.includes("hello")) activity.greeted();
      if (text.includes("work")) activity.busy();
      await conn.write(encoder.encode("ok\n")).catch(() => 0);
    }
    try {
      conn.close();
    } catch {
      // closed by the loop
    }
  })();
}

async function withLoop(
  options: Partial<AcceptOptions>,
  body: (port: number, closed: string[]) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed: string[] = [];
  const loop = acceptConnections(listener, {
    ...LIMITS,
    maxConnections: 64,
    refusal,
    serve: serveReporting,
    onClosed: (source, reason) => closed.push(`${source}: ${reason}`),
    ...options,
  });
  try {
    await body((listener.addr as Deno.NetAddr).port, closed);
  } finally {
    await loop.close();
  }
}

/** Connects from another loopback address (node:net can pick the source). */
function connectFrom(localAddress: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

function received(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (chunk) => text += String(chunk));
    socket.once("close", () => resolve(text));
  });
}

function destroyed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) return resolve();
    socket.once("close", () => resolve());
    socket.destroy();
  });
}

async function exchange(conn: Deno.Conn, text: string): Promise<string> {
  await conn.write(encoder.encode(text));
  const buffer = new Uint8Array(64);
  const n = await conn.read(buffer);
  return n === null ? "" : new TextDecoder().decode(buffer.subarray(0, n));
}

Deno.test("acceptConnections() caps connections per source address, not for other addresses", async () => {
  await withLoop({ maxPerSource: 2 }, async (port) => {
    const held = [await connectFrom("127.0.0.2", port), await connectFrom("127.0.0.2", port)];
    const third = await connectFrom("127.0.0.2", port);
    const local = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      assert.equal(
        await received(third),
        "busy: Test is at its limit of 2 connections from one address\n",
      );
      assert.equal(await exchange(local, "hello"), "ok\n");
    } finally {
      local.close();
      await Promise.all([...held, third].map(destroyed));
    }
  });
});

Deno.test("acceptConnections() closes a connection with no valid first message, however chatty", async () => {
  await withLoop({ firstMessageMs: 300 }, async (port, closed) => {
    const stranger = await Deno.connect({ hostname: "127.0.0.1", port });
    const member = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      assert.equal(await exchange(member, "hello"), "ok\n");
      // The stranger keeps talking, never validly: it is closed all the same.
      let answer = "ok\n";
      for (let i = 0; i < 200 && answer !== ""; i++) {
        answer = await exchange(stranger, "garbage").catch(() => "");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(answer, "", "the stranger is still served");
      assert.deepEqual(closed, ["127.0.0.1: no valid first message"]);
      assert.equal(await exchange(member, "still here"), "ok\n");
    } finally {
      stranger.close();
      member.close();
    }
  });
});

Deno.test("acceptConnections() closes a silent connection, not one waiting for its answer", async () => {
  await withLoop({ idleMs: 300 }, async (port, closed) => {
    const silent = await Deno.connect({ hostname: "127.0.0.1", port });
    const waiting = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      assert.equal(await exchange(silent, "hello"), "ok\n");
      assert.equal(await exchange(waiting, "hello work"), "ok\n");
      assert.equal(await silent.read(new Uint8Array(8)).catch(() => null), null);
      assert.deepEqual(closed, ["127.0.0.1: silent"]);
      assert.equal(await exchange(waiting, "more"), "ok\n");
    } finally {
      silent.close();
      waiting.close();
    }
  });
});
