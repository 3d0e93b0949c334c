import assert from "node:assert/strict";
import { AppError } from "./errors.ts";
import { encodeLine, LineDecoder } from "./framing.ts";
import { formatAddr, writeAll } from "./conn_io.ts";
import { RpcClient } from "./rpc_client.ts";

/** A scripted server: answers each request line with what `respond` returns. */
async function withServer(
  respond: (request: Record<string, unknown>, conn: Deno.Conn) => Promise<void> | void,
  body: (addr: string) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        const decoder = new LineDecoder();
        const buffer = new Uint8Array(4096);
        try {
          for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
            for (const line of decoder.push(buffer.subarray(0, n))) {
              await respond(JSON.parse(line), conn);
            }
          }
        } catch {
          // closed by the test
        }
      })();
    }
  })();
  try {
    await body(formatAddr(listener.addr));
  } finally {
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await serving;
  }
}

Deno.test("RpcClient.request() matches replies to requests by id, in any order", async () => {
  const held: Record<string, unknown>[] = [];
  await withServer(async (request, conn) => {
    held.push(request);
    if (held.length < 2) return;
    // Answer the second request first.
    for (const r of [held[1]!, held[0]!]) {
      await writeAll(conn, encodeLine({ id: r["id"], ok: true, data: { echo: r["cmd"] } }));
    }
  }, async (addr) => {
    const rpc = await RpcClient.connect(addr);
    const [a, b] = await Promise.all([rpc.request("first"), rpc.request("second")]);
    assert.deepEqual([a, b], [{ echo: "first" }, { echo: "second" }]);
    assert.equal(held[0]!["v"], 1);
    rpc.close();
    await rpc.closed;
  });
});

Deno.test("RpcClient.request() rebuilds an error reply as an AppError with its code", async () => {
  await withServer(async (request, conn) => {
    const error = { code: "FORBIDDEN", message: "Cannot do that" };
    await writeAll(conn, encodeLine({ id: request["id"], ok: false, error }));
  }, async (addr) => {
    const rpc = await RpcClient.connect(addr);
    await assert.rejects(
      rpc.request("anything"),
      (e) => e instanceof AppError && e.code === "FORBIDDEN" && e.message === "Cannot do that",
    );
    rpc.close();
    await rpc.closed;
  });
});

Deno.test("RpcClient hands messages without an id to its push listener", async () => {
  const pushes: Record<string, unknown>[] = [];
  await withServer(async (request, conn) => {
    await writeAll(conn, encodeLine({ event: "hello" }));
    await writeAll(conn, encodeLine({ id: request["id"], ok: true, data: {} }));
  }, async (addr) => {
    const rpc = await RpcClient.connect(addr, { onPush: (m) => pushes.push(m) });
    await rpc.request("ping");
    assert.deepEqual(pushes, [{ event: "hello" }]);
    rpc.close();
    await rpc.closed;
  });
});

Deno.test("RpcClient fails pending requests with UNAVAILABLE when the server closes", async () => {
  await withServer((_request, conn) => conn.close(), async (addr) => {
    const rpc = await RpcClient.connect(addr);
    await assert.rejects(
      rpc.request("ping"),
      (e) => e instanceof AppError && e.code === "UNAVAILABLE",
    );
    await rpc.closed;
    assert.equal(rpc.isClosed, true);
    await assert.rejects(
      rpc.request("ping"),
      (e) => e instanceof AppError && e.code === "UNAVAILABLE",
    );
  });
});

Deno.test("RpcClient.request() fails with TIMEOUT when no reply comes", async () => {
  await withServer(() => {}, async (addr) => {
    const rpc = await RpcClient.connect(addr);
    await assert.rejects(
      rpc.request("ping", {}, 50),
      (e) => e instanceof AppError && e.code === "TIMEOUT",
    );
    rpc.close();
    await rpc.closed;
  });
});

Deno.test("RpcClient.connect() fails with UNAVAILABLE when nothing listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const addr = formatAddr(listener.addr);
  listener.close();
  await assert.rejects(
    RpcClient.connect(addr),
    (e) => e instanceof AppError && e.code === "UNAVAILABLE",
  );
});
