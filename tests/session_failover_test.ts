/**
 * The client's tracker session against in-process trackers: failover to
 * another tracker, re-login with the password when a tracker does not know
 * the token, and the retry of a command in flight when its tracker dies or
 * hangs, sent with the same retry id so it is never applied twice.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RpcClient } from "../protocol/rpc_client.ts";
import { TrackerSession } from "../client/session/tracker_session.ts";
import { startTracker, type TrackerHandle } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig, waitFor } from "./tracker_helpers.ts";
import { balancerTestConfig, clientTestConfig, MemoryStore } from "./test_configs.ts";
import { startBalancer } from "../balancer/balancer_server.ts";
import { startProxy } from "./cluster_helpers.ts";

const SECRET = "session-test-secret";

/** A session with test timings; its notices and session starts are recorded. */
function openSession(trackers: string[], store = new MemoryStore(), overrides = {}) {
  const notices: string[] = [];
  const started: string[] = [];
  const session = new TrackerSession({
    ...clientTestConfig("unused"),
    ...overrides,
    trackers,
    store,
    onNotice: (line) => notices.push(line),
    onSessionStarted: (user) => started.push(user),
  });
  session.start();
  return Object.assign(session, {
    notices,
    started,
    store,
    [Symbol.dispose]: () => session.close(),
  });
}

/** Two trackers that replicate to each other. */
async function startPair(dir: string): Promise<[TrackerHandle, TrackerHandle]> {
  const a = await startTracker(testConfig(join(dir, "a"), { id: 1, clusterSecret: SECRET }));
  const b = await startTracker(
    testConfig(join(dir, "b"), { id: 2, clusterSecret: SECRET, peers: [a.addr] }),
  );
  return [a, b];
}

/**
 * A line proxy in front of a tracker that lets every request through except
 * those of one command: it records their retry id, then either drops the
 * connection ("crash") or never answers ("hang").
 */
function startTrap(target: string, cmd: string, mode: "crash" | "hang") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const rids: string[] = [];
  const conns = new Set<Deno.Conn>();
  const close = (conn: Deno.Conn) => {
    conns.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  const serve = async (inbound: Deno.Conn) => {
    const [hostname, port] = target.split(":");
    const outbound = await Deno.connect({ hostname: hostname!, port: Number(port) });
    conns.add(inbound).add(outbound);
    const back = inbound.writable;
    const replies = outbound.readable.pipeTo(back).catch(() => {});
    const writer = outbound.writable.getWriter();
    let rest = "";
    try {
      for await (const chunk of inbound.readable.pipeThrough(new TextDecoderStream())) {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop()!;
        for (const line of lines) {
          const request = JSON.parse(line);
          if (request.cmd !== cmd) {
            await writer.write(new TextEncoder().encode(line + "\n"));
            continue;
          }
          rids.push(request.rid);
          if (mode === "crash") throw new Error("crash");
        }
      }
    } catch {
      // crashed on purpose, or the client left
    }
    close(inbound);
    close(outbound);
    await replies;
  };
  const serving: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) serving.push(serve(conn).catch(() => {}));
  })().catch(() => {});
  return {
    addr: `127.0.0.1:${listener.addr.port}`,
    rids,
    [Symbol.asyncDispose]: async () => {
      listener.close();
      for (const conn of [...conns]) close(conn);
      await accepting;
      await Promise.all(serving);
    },
  };
}

async function groupsOn(addr: string, token: string): Promise<string[]> {
  using rpc = await connect(addr);
  const reply = await rpc.request<{ groups: { group: string }[] }>("list_groups", { token });
  return reply.groups.map((g) => g.group).sort();
}

Deno.test("TrackerSession fails over to the other tracker when its tracker closes, keeping the token", async () => {
  await using dir = await tempDir();
  const [a, b] = await startPair(dir.path);
  await using _b = b;
  try {
    using session = openSession([a.addr, b.addr]);
    await session.call("create_user", { user: "amy", password: "pw-amy" });
    const login = await session.login("amy", "pw-amy");
    assert.equal(session.trackerAddr, a.addr);
    assert.equal(typeof login.clusterKey, "string");
    assert.equal(session.clusterKey, login.clusterKey);
    assert.deepEqual(session.store.saved, { user: "amy", token: login.token });
    await session.call("create_group", { group: "g1" });
    // The session is valid cluster-wide once b has it.
    await waitFor(() => groupsOn(b.addr, login.token).then((g) => g.length === 1 || undefined));

    await a.close();
    const groups = await session.call("list_groups", {});
    assert.deepEqual(groups.groups.map((g) => g.group), ["g1"]);
    assert.equal(session.trackerAddr, b.addr);
    assert.deepEqual(session.notices, [
      `notice: tracker ${a.addr} stopped answering; now using ${b.addr}`,
    ]);
    assert.equal(session.store.saved?.token, login.token, "the same token resumed the session");
    assert.deepEqual(session.started, ["amy", "amy"]);
  } finally {
    await a.close();
  }
});

Deno.test("TrackerSession logs in again with the password where its token is unknown", async () => {
  await using dir = await tempDir();
  // Two trackers that do not replicate, each with its own amy: the token of
  // one means nothing on the other.
  await using x = await startTracker(
    testConfig(join(dir.path, "x"), { clusterSecret: SECRET }),
  );
  await using y = await startTracker(
    testConfig(join(dir.path, "y"), { clusterSecret: SECRET }),
  );
  using rpc = await connect(y.addr);
  await rpc.request("create_user", { user: "amy", password: "pw-amy" });

  using session = openSession([x.addr, y.addr]);
  await session.call("create_user", { user: "amy", password: "pw-amy" });
  const first = await session.login("amy", "pw-amy");
  await x.close();
  assert.equal((await session.call("whoami", {}) as { user: string }).user, "amy");
  assert.equal(session.trackerAddr, y.addr);
  const token = session.store.saved?.token;
  assert.ok(token !== undefined && token !== null && token !== first.token, "a new token");
  assert.equal((await rpc.request("whoami", { token }) as { user: string }).user, "amy");
});

Deno.test("TrackerSession logs in again when the tracker forgets its token mid-session", async () => {
  await using dir = await tempDir();
  await using t = await startTracker(testConfig(dir.path));
  using session = openSession([t.addr]);
  await session.call("create_user", { user: "amy", password: "pw-amy" });
  const { token } = await session.login("amy", "pw-amy");
  using rpc = await connect(t.addr);
  await rpc.request("logout", { token });
  // The command meets NOT_LOGGED_IN, logs in again and is sent once more.
  assert.deepEqual(await session.call("create_group", { group: "g2" }), { group: "g2" });
  const fresh = session.store.saved?.token;
  assert.ok(typeof fresh === "string" && fresh !== token);
  assert.deepEqual(await groupsOn(t.addr, fresh), ["g2"]);
});

Deno.test("TrackerSession forgets the user when logging in again is refused", async () => {
  await using dir = await tempDir();
  await using x = await startTracker(
    testConfig(join(dir.path, "x"), { clusterSecret: SECRET }),
  );
  await using y = await startTracker(
    testConfig(join(dir.path, "y"), { clusterSecret: SECRET }),
  );
  using session = openSession([x.addr, y.addr]);
  await session.call("create_user", { user: "amy", password: "pw-amy" });
  await session.login("amy", "pw-amy");
  await x.close();
  // y never heard of amy: the old token and the password are both refused.
  await rejectsWith(session.call("list_groups", {}), "NOT_LOGGED_IN");
  assert.equal(session.user, undefined);
  assert.equal(session.store.saved, undefined);
  assert.ok(
    session.notices.some((n) => n.startsWith("notice: could not log in again as amy:")),
    session.notices.join("\n"),
  );
});

for (const mode of ["crash", "hang"] as const) {
  const what = mode === "crash" ? "crashes" : "hangs";
  Deno.test(`TrackerSession retries a write in flight on another tracker when its tracker ${what}, with the same retry id`, async () => {
    await using dir = await tempDir();
    const [a, b] = await startPair(dir.path);
    await using _a = a;
    await using _b = b;
    await using trap = startTrap(a.addr, "create_group", mode);
    using session = openSession([trap.addr, b.addr], new MemoryStore(), {
      requestTimeoutMs: 1500,
    });
    await session.call("create_user", { user: "amy", password: "pw-amy" });
    const { token } = await session.login("amy", "pw-amy");
    await waitFor(
      () => groupsOn(b.addr, token).then(() => true, () => undefined),
      15_000,
      "the session on b",
    );

    assert.deepEqual(await session.call("create_group", { group: "g3" }), { group: "g3" });
    assert.equal(session.trackerAddr, b.addr);
    assert.equal(trap.rids.length, 1, "the trap saw the first attempt");
    assert.deepEqual(await groupsOn(b.addr, token), ["g3"]);
    // The retry carried the first attempt's id: sent again, it is answered, not refused.
    using rpc = await connect(b.addr);
    const again = await rpc.request("create_group", { token, group: "g3", rid: trap.rids[0] });
    assert.deepEqual(again, { group: "g3" });
    await rejectsWith(rpc.request("create_group", { token, group: "g3" }), "ALREADY_EXISTS");
  });
}

Deno.test("TrackerSession says once that no tracker answers, keeps trying, and carries on when one does", async () => {
  await using dir = await tempDir();
  await using t = await startTracker(testConfig(dir.path));
  await using proxy = startProxy();
  proxy.target = t.addr;
  proxy.cut();
  using session = openSession([proxy.addr], new MemoryStore(), { commandWaitMs: 300 });
  await rejectsWith(session.call("ping", {}), "UNAVAILABLE");
  assert.deepEqual(session.notices, [
    "notice: no tracker is reachable; retrying in the background",
  ]);
  proxy.heal();
  await waitFor(() => session.trackerAddr, 15_000, "the session to reconnect");
  assert.deepEqual(await session.call("ping", {}), { pong: true });
  assert.deepEqual(session.notices.slice(1), [
    `notice: reached tracker ${proxy.addr}; carrying on`,
  ]);
});

Deno.test("TrackerSession resumes a saved session and logs out for good", async () => {
  await using dir = await tempDir();
  await using t = await startTracker(testConfig(dir.path));
  using rpc = await connect(t.addr);
  await rpc.request("create_user", { user: "amy", password: "pw-amy" });
  const { token } = await rpc.request<{ token: string }>("login", {
    user: "amy",
    password: "pw-amy",
  });
  using session = openSession([t.addr], new MemoryStore({ user: "amy", token }));
  assert.equal(session.user, "amy");
  assert.equal((await session.call("whoami", {}) as { user: string }).user, "amy");
  assert.deepEqual(session.started, ["amy"]);
  await session.logout();
  assert.equal(session.user, undefined);
  assert.equal(session.store.saved, undefined);
  await rejectsWith(rpc.request("whoami", { token }), "NOT_LOGGED_IN");
  // Logging out again, with nothing to log out, is not an error.
  await session.logout();
});

Deno.test("TrackerSession asks the balancer which tracker to use", async () => {
  await using dir = await tempDir();
  await using balancer = await startBalancer(balancerTestConfig({ clusterSecret: SECRET }));
  await using t = await startTracker(
    testConfig(dir.path, { balancers: [balancer.addr], clusterSecret: SECRET }),
  );
  await waitFor(
    async () => {
      const rpc = await RpcClient.connect(balancer.addr);
      try {
        const reply = await rpc.request<{ addr: unknown }>("get_tracker", { exclude: [] });
        return reply.addr === t.addr || undefined;
      } catch {
        return undefined;
      } finally {
        rpc.close();
      }
    },
    15_000,
    "the tracker to register",
  );
  // The configured list names no tracker that answers: only the balancer knows.
  using session = openSession(["127.0.0.1:1"], new MemoryStore(), { balancers: [balancer.addr] });
  assert.deepEqual(await session.call("ping", {}), { pong: true });
  assert.equal(session.trackerAddr, t.addr);
});
