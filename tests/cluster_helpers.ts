/**
 * Helpers of the cluster tests: start tracker processes that replicate, read
 * their digests, wait for them to agree, and a TCP proxy that can cut a link.
 */
import assert from "node:assert/strict";
import { RpcClient } from "../protocol/rpc_client.ts";
import { type ProgramHandle, spawnProgram } from "./harness.ts";
import { waitFor } from "./tracker_helpers.ts";

/** The secret the test clusters share. */
export const SECRET = "test-cluster-secret";

/**
 * Starts a tracker process with an id, a data dir and extra flags (the secret comes from the environment).
 * @returns its handle
 */
export function startPeer(
  id: number,
  dataDir: string,
  flags: string[] = [],
  secret = SECRET,
): Promise<ProgramHandle> {
  return spawnProgram(
    "tracker",
    ["--port", "0", "--id", String(id), "--data-dir", dataDir, ...flags],
    { env: { TRACKER_CLUSTER_SECRET: secret } },
  );
}

/**
 * One request on a fresh connection.
 * @returns the reply data
 */
export async function ask<T = Record<string, unknown>>(
  addr: string,
  cmd: string,
  fields: Record<string, unknown> = {},
): Promise<T> {
  const client = await RpcClient.connect(addr);
  try {
    return await client.request<T>(cmd, fields);
  } finally {
    client.close();
  }
}

/** A tracker's digest and op count. */
export function digestOf(addr: string): Promise<{ digest: string; ops: number }> {
  return ask(addr, "digest");
}

/**
 * Waits until every tracker reports the same digest and op count.
 * @returns that digest and count
 */
export function converged(
  addrs: string[],
  timeoutMs = 20_000,
): Promise<{ digest: string; ops: number }> {
  return waitFor(
    async () => {
      const digests = await Promise.all(addrs.map(digestOf));
      const first = digests[0]!;
      return digests.every((d) => d.digest === first.digest && d.ops === first.ops)
        ? first
        : undefined;
    },
    timeoutMs,
    `digests of ${addrs.join(", ")} to agree`,
  );
}

/**
 * Retries a request until it stops failing (a write made elsewhere has arrived).
 * @returns the reply data
 */
export function eventually<T = Record<string, unknown>>(
  addr: string,
  cmd: string,
  fields: Record<string, unknown>,
): Promise<T> {
  return waitFor(
    () => ask<T>(addr, cmd, fields).catch(() => undefined),
    15_000,
    `${cmd} on ${addr}`,
  );
}

/** A TCP proxy to a target that can be cut (connections dropped and refused) and healed. */
export interface CutProxy extends AsyncDisposable {
  addr: string;
  target: string | undefined;
  cut(): void;
  heal(): void;
}

/**
 * Starts a proxy on 127.0.0.1 port 0 (set `target` once known).
 * @returns the proxy
 */
export function startProxy(): CutProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const pipes = new Set<Promise<void>>();
  let blocked = false;
  const proxy: CutProxy = {
    addr: `127.0.0.1:${listener.addr.port}`,
    target: undefined,
    cut: () => {
      blocked = true;
      for (const conn of open) closeQuietly(conn);
    },
    heal: () => {
      blocked = false;
    },
    [Symbol.asyncDispose]: async () => {
      listener.close();
      proxy.cut();
      await accepting;
      await Promise.all([...pipes]);
    },
  };
  const serve = async (inbound: Deno.Conn) => {
    const target = proxy.target;
    if (blocked || target === undefined) return closeQuietly(inbound);
    const [hostname, port] = target.split(":");
    let outbound: Deno.Conn;
    try {
      outbound = await Deno.connect({ hostname: hostname!, port: Number(port) });
    } catch {
      return closeQuietly(inbound);
    }
    open.add(inbound).add(outbound);
    await Promise.all([pipe(inbound, outbound), pipe(outbound, inbound)]);
    open.delete(inbound);
    open.delete(outbound);
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const done = serve(conn).finally(() => pipes.delete(done));
        pipes.add(done);
      }
    } catch {
      // listener closed
    }
  })();
  return proxy;
}

async function pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      for (let off = 0; off < n;) off += await to.write(buffer.subarray(off, n));
    }
  } catch {
    // either side closed
  }
  closeQuietly(from);
  closeQuietly(to);
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Asserts two trackers list the same group names for a token. */
export async function sameGroups(addrs: string[], token: string): Promise<string[]> {
  const lists = await Promise.all(
    addrs.map((addr) =>
      ask<{ groups: { group: string; owner: string }[] }>(addr, "list_groups", { token })
    ),
  );
  const first = JSON.stringify(lists[0]);
  for (const list of lists) assert.equal(JSON.stringify(list), first);
  return lists[0]!.groups.map((g) => g.group);
}
