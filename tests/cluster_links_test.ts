/**
 * Links between trackers cannot be relayed or spoofed: a listener on a down
 * peer's address that forwards the handshake to another tracker is refused
 * (whether it leaves the handshake alone or rewrites the address in it), and
 * a forwarder on a link's path cannot inject or replay a message.
 */
import assert from "node:assert/strict";
import { writeAll } from "../protocol/conn_io.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig, userSession, waitFor } from "./tracker_helpers.ts";

const SECRET = "links-test-secret";

/** A forwarder on 127.0.0.1 port 0 that passes bytes to `target`, letting the test see and alter lines. */
interface Relay extends AsyncDisposable {
  addr: string;
  /** Lines the dialer sent, as forwarded. */
  seen: string[];
  /** Writes raw bytes to every connection towards the target. */
  inject(text: string): Promise<void>;
}

function startRelay(target: string, rewrite: (line: string) => string = (l) => l): Relay {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const outbound = new Set<Deno.Conn>();
  const all = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const seen: string[] = [];
  const encoder = new TextEncoder();
  const forwardLines = async (from: Deno.Conn, to: Deno.Conn) => {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    let pending = "";
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      pending += decoder.decode(buffer.subarray(0, n), { stream: true });
      let end: number;
      while ((end = pending.indexOf("\n")) >= 0) {
        const line = rewrite(pending.slice(0, end));
        pending = pending.slice(end + 1);
        seen.push(line);
        await writeAll(to, encoder.encode(line + "\n"));
      }
    }
  };
  const copy = async (from: Deno.Conn, to: Deno.Conn) => {
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      await writeAll(to, buffer.subarray(0, n));
    }
  };
  const serve = async (inbound: Deno.Conn) => {
    const [hostname, port] = target.split(":");
    const out = await Deno.connect({ hostname: hostname!, port: Number(port) });
    all.add(inbound).add(out);
    outbound.add(out);
    await Promise.all([
      forwardLines(inbound, out).catch(() => {}).finally(() => closeQuietly(out)),
      copy(out, inbound).catch(() => {}).finally(() => closeQuietly(inbound)),
    ]);
    outbound.delete(out);
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = serve(conn).catch(() => closeQuietly(conn)).finally(() => tasks.delete(task));
        tasks.add(task);
      }
    } catch {
      // listener closed
    }
  })();
  return {
    addr: `127.0.0.1:${listener.addr.port}`,
    seen,
    inject: async (text) => {
      for (const conn of outbound) await writeAll(conn, encoder.encode(text)).catch(() => {});
    },
    [Symbol.asyncDispose]: async () => {
      listener.close();
      for (const conn of all) closeQuietly(conn);
      await accepting;
      await Promise.all([...tasks]);
    },
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

type LinkView = { peer: string; state: string };

async function linkTo(addr: string, peer: string): Promise<LinkView | undefined> {
  using c = await connect(addr);
  const { links } = await c.request<{ links: LinkView[] }>("status");
  return links.find((l) => l.peer === peer);
}

for (const rewriting of [false, true]) {
  const how = rewriting ? "rewriting the dialed address" : "forwarding it as is";
  Deno.test(`cluster: a relay on a down peer's address, ${how}, is refused`, async () => {
    await using d1 = await tempDir();
    await using d2 = await tempDir();
    const c2 = testConfig(d2.path, { id: 2, clusterSecret: SECRET });
    await using t2 = await startTracker(c2);
    // Tracker 3 is down; its address is held by the attacker, who relays to tracker 2.
    const toTracker2 = (line: string) =>
      line.replace(/"to":"[^"]*"/, `"to":"${t2.addr}"`)
        .replace(/"reached":"[^"]*"/, `"reached":"${t2.addr}"`);
    await using relay = startRelay(t2.addr, rewriting ? toTracker2 : undefined);
    const c1 = testConfig(d1.path, { id: 1, clusterSecret: SECRET, peers: [relay.addr] });
    await using t1 = await startTracker(c1);
    using client = await connect(t1.addr);
    await userSession(client, "alice", "alice-pw");

    await waitFor(async () =>
      (await linkTo(t1.addr, relay.addr))?.state === "refused" || undefined
    );
    assert.ok(relay.seen.some((l) => l.includes('"peer_hello"')), "the relay saw the handshake");
    const reason = rewriting ? "proof for another address" : "a relay?";
    await waitFor(() => c2.logLines.some((l) => l.includes(reason)) || undefined);
    assert.ok(!c2.logLines.some((l) => l.includes("cluster link from tracker 1")));
    // Nothing reached tracker 2 by the relay, and it dialed nobody back.
    using other = await connect(t2.addr);
    assert.equal((await other.request<{ ops: number }>("digest")).ops, 0);
    assert.deepEqual((await other.request<{ links: unknown[] }>("status")).links, []);
    await rejectsWith(
      other.request("login", { user: "alice", password: "alice-pw" }),
      "BAD_CREDENTIALS",
    );
  });
}

Deno.test("cluster: a forwarder on a link's path cannot inject or replay a message", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  // Tracker 2 is reached through a forwarder it advertises (as behind a NAT):
  // the handshake passes, and the forwarder then tries its luck.
  const c2 = testConfig(d2.path, { id: 2, clusterSecret: SECRET });
  const port2 = freePort();
  await using relay = startRelay(`127.0.0.1:${port2}`);
  await using t2 = await startTracker({ ...c2, port: port2, advertiseAddr: relay.addr });
  const c1 = testConfig(d1.path, { id: 1, clusterSecret: SECRET, peers: [relay.addr] });
  await using t1 = await startTracker(c1);
  using client = await connect(t1.addr);
  await userSession(client, "alice", "alice-pw");
  using onT2 = await connect(t2.addr);
  await waitFor(async () => (await onT2.request<{ ops: number }>("digest")).ops >= 2 || undefined);

  const macFailures = () => c2.logLines.filter((l) => l.includes("fails the link's MAC")).length;
  const batch = relay.seen.find((l) => l.includes('"peer_ops"') && l.includes("alice"));
  assert.ok(batch !== undefined, "the forwarder saw alice's batch");

  // A forged batch under the next number, with a made-up MAC.
  const forged = JSON.parse(batch) as Record<string, unknown>;
  const ops = forged["ops"] as { seq: number; body: Record<string, unknown> }[];
  for (const op of ops) {
    op.seq += 100;
    if (op.body["type"] === "create_user") op.body["user"] = "mallory";
  }
  forged["seq"] = Number(forged["seq"]) + 1;
  await relay.inject(JSON.stringify(forged) + "\n");
  await waitFor(() => macFailures() === 1 || undefined);
  // The link recovers by a fresh handshake; then the old batch is replayed on it.
  await userSession(client, "bob", "bob-pw");
  await waitFor(() => onT2.request("login", { user: "bob", password: "bob-pw" }).catch(() => {}));
  await relay.inject(batch + "\n");
  await waitFor(() => macFailures() === 2 || undefined);

  await userSession(client, "carol", "carol-pw");
  await waitFor(() =>
    onT2.request("login", { user: "carol", password: "carol-pw" }).catch(() => {})
  );
  await rejectsWith(onT2.request("login", { user: "mallory", password: "x" }), "BAD_CREDENTIALS");
  const status = (c: typeof client) =>
    c.request<{ versionVector: Record<string, number> }>("status");
  await waitFor(async () => {
    const [a, b] = await Promise.all([status(client), status(onT2)]);
    return JSON.stringify(a.versionVector) === JSON.stringify(b.versionVector) || undefined;
  });
  const [a, b] = await Promise.all([client.request("digest"), onT2.request("digest")]);
  assert.deepEqual(a, b, "only real ops arrived");
});

function freePort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = probe.addr;
  probe.close();
  return port;
}
