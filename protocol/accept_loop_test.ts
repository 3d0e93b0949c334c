import assert from "node:assert/strict";
import { acceptConnections } from "./accept_loop.ts";

const REFUSAL = new TextEncoder().encode("busy\n");

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
    maxConnections: 1,
    refusal: REFUSAL,
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
      assert.equal(await readAll(second), "busy\n");
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
    maxConnections: 4,
    refusal: REFUSAL,
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
