/**
 * Password guessing against a real tracker: a flood of wrong logins held in
 * flight on a thousand connections gets refused or throttled, while logins
 * from another address still succeed; failures slow the next tries of the
 * same user and address down.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { encodeLine, LineDecoder } from "../protocol/framing.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig } from "./tracker_helpers.ts";

const FLOOD = 1000;

interface Reply {
  ok: boolean;
  data?: { token?: string };
  error?: { code: string };
}

/** Sends one request from a given local address (node:net can bind one) and reads its reply. */
function requestFrom(
  localAddress: string,
  addr: string,
  request: Record<string, unknown>,
): Promise<Reply> {
  const [host, port] = addr.split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port), localAddress });
    let text = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(JSON.stringify({ id: 1, ...request }) + "\n"));
    socket.on("data", (chunk: string) => {
      text += chunk;
      const end = text.indexOf("\n");
      if (end < 0) return;
      socket.destroy();
      resolve(JSON.parse(text.slice(0, end)) as Reply);
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error("closed before a reply")));
  });
}

/** Reads one reply line from a raw connection. */
async function readReply(conn: Deno.Conn): Promise<Reply> {
  const decoder = new LineDecoder(64 * 1024);
  const buffer = new Uint8Array(4096);
  for (let reads = 0; reads < 100; reads++) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("closed before a reply");
    const lines = decoder.push(buffer.subarray(0, n));
    if (lines.length > 0) return JSON.parse(lines[0]!) as Reply;
  }
  throw new Error("no reply line");
}

Deno.test("a thousand wrong logins in flight are refused or throttled; others still log in", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path));
  {
    using setup = await connect(tracker.addr);
    for (const user of ["alice", "bob"]) {
      await setup.request("create_user", { user, password: `pw-${user}` });
    }
  }
  // alice logged in from 127.0.0.2 before the attack: her usual address.
  const before = await requestFrom("127.0.0.2", tracker.addr, {
    cmd: "login",
    user: "alice",
    password: "pw-alice",
  });
  assert.equal(before.ok, true);

  const flood: Deno.Conn[] = [];
  try {
    for (let i = 0; i < FLOOD; i++) {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(tracker.addr.split(":")[1]),
      });
      flood.push(conn);
    }
    // Every guess is written before any reply is read: all are in flight at once.
    await Promise.all(
      flood.map((conn, i) =>
        conn.write(encodeLine({ id: i, cmd: "login", user: "alice", password: `guess-${i}` }))
      ),
    );
    const [bob, alice] = await Promise.all([
      requestFrom("127.0.0.2", tracker.addr, { cmd: "login", user: "bob", password: "pw-bob" }),
      requestFrom("127.0.0.2", tracker.addr, { cmd: "login", user: "alice", password: "pw-alice" }),
    ]);
    assert.equal(bob.ok, true, JSON.stringify(bob));
    assert.equal(alice.ok, true, JSON.stringify(alice));
    assert.match(alice.data?.token ?? "", /^[0-9a-f]{64}$/);

    const replies = await Promise.all(flood.map(readReply));
    const codes = new Map<string, number>();
    for (const reply of replies) {
      assert.equal(reply.ok, false);
      const code = reply.error?.code ?? "?";
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    assert.deepEqual([...codes.keys()].sort(), ["BAD_CREDENTIALS", "UNAVAILABLE"]);
    // Only a few guesses were checked at all; the rest were refused unhashed.
    assert.ok((codes.get("BAD_CREDENTIALS") ?? 0) <= 20, JSON.stringify([...codes]));
  } finally {
    for (const conn of flood) conn.close();
  }

  // The flood's address is throttled, even for a user with the right password...
  const fromFlood = await connect(tracker.addr);
  try {
    await rejectsWith(
      fromFlood.request("login", { user: "bob", password: "pw-bob" }),
      "UNAVAILABLE",
    );
  } finally {
    fromFlood.close();
  }
  // ...and alice's name from an address she never used, while her usual one still works.
  const stranger = await requestFrom("127.0.0.3", tracker.addr, {
    cmd: "login",
    user: "alice",
    password: "pw-alice",
  });
  assert.equal(stranger.error?.code, "UNAVAILABLE");
  const usual = await requestFrom("127.0.0.2", tracker.addr, {
    cmd: "login",
    user: "alice",
    password: "pw-alice",
  });
  assert.equal(usual.ok, true, JSON.stringify(usual));
});
