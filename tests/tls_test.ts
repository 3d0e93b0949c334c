/**
 * TLS on the control plane: `deno task certs`, trackers and balancers
 * serving TLS, links and clients that trust only the cluster CA, and the
 * rule that nothing leaves the machine in clear text without `--insecure`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeClusterCerts } from "../certs/cluster_certs.ts";
import { createCa, issueServerCert } from "../protocol/certificates.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { checkExposure, isLoopbackHost, readCaCerts, readTlsIdentity } from "../protocol/tls.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { startBalancer } from "../balancer/balancer_server.ts";
import { defaultBalancerConfig } from "../balancer/config.ts";
import { startClientProc } from "./client_helpers.ts";
import { tempDir } from "./harness.ts";
import { rejectsWith, testConfig, waitFor } from "./tracker_helpers.ts";

const ROOT = new URL("../", import.meta.url);
const HOSTS = ["127.0.0.1", "localhost"];

async function runProgram(entry: string, args: string[], permissions: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, new URL(entry, ROOT).pathname, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // a failed handshake closed it already
  }
}

/** A TLS server with a certificate from another CA that records every byte it decrypts. */
async function startRogueTracker(): Promise<
  AsyncDisposable & { addr: string; accepted(): number; received(): number }
> {
  const rogueCa = await createCa("rogue CA");
  const identity = await issueServerCert(rogueCa, "tracker", HOSTS);
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...identity });
  let received = 0;
  let accepted = 0;
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      accepted++;
      (async () => {
        const buffer = new Uint8Array(4096);
        try {
          while (true) {
            const n = await conn.read(buffer);
            if (n === null) break;
            received += n;
          }
        } catch {
          // the handshake failed: nothing was decrypted
        } finally {
          conns.delete(conn);
          closeQuietly(conn);
        }
      })();
    }
  })().catch(() => {});
  return {
    addr: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    accepted: () => accepted,
    received: () => received,
    [Symbol.asyncDispose]: async () => {
      listener.close();
      for (const conn of conns) closeQuietly(conn);
      await serving;
    },
  };
}

Deno.test("deno task certs writes a CA and a certificate per program, keys 0600, and never overwrites a CA", async () => {
  await using dir = await tempDir();
  const out = join(dir.path, "certs");
  const perms = ["--allow-read", "--allow-write"];
  const made = await runProgram(
    "certs/main.ts",
    ["--out", out, "--hosts", "127.0.0.1,localhost"],
    perms,
  );
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /tracker: --tls-cert \S+tracker\.pem --tls-key \S+tracker-key\.pem/);
  for (const key of ["ca-key.pem", "tracker-key.pem", "balancer-key.pem"]) {
    assert.equal((await Deno.stat(join(out, key))).mode! & 0o777, 0o600, key);
  }
  const ca = await Deno.readTextFile(join(out, "ca.pem"));
  const again = await runProgram("certs/main.ts", ["--out", out, "--hosts", "127.0.0.1"], perms);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
  assert.equal(await Deno.readTextFile(join(out, "ca.pem")), ca, "the CA is untouched");
});

Deno.test("a TLS tracker serves clients that trust the cluster CA; a plain-text client gets no answer", async () => {
  await using dir = await tempDir();
  const files = await writeClusterCerts(join(dir.path, "certs"), HOSTS);
  const tls = await readTlsIdentity(files.programs.tracker.cert, files.programs.tracker.key);
  await using tracker = await startTracker(testConfig(join(dir.path, "t"), { tls }));
  const caCerts = await readCaCerts(files.ca);
  const rpc = await RpcClient.connect(tracker.addr, { caCerts });
  try {
    assert.deepEqual(await rpc.request("ping"), { pong: true });
  } finally {
    rpc.close();
  }
  // Plain text at the TLS port is no handshake: the tracker answers no command.
  const [hostname, port] = tracker.addr.split(":");
  const plain = await Deno.connect({ hostname: hostname!, port: Number(port) });
  await plain.write(new TextEncoder().encode('{"cmd":"ping","id":1,"v":1}\n'));
  const buffer = new Uint8Array(4096);
  let text = "";
  try {
    const n = await plain.read(buffer);
    text = n === null ? "" : new TextDecoder().decode(buffer.subarray(0, n));
  } catch {
    // reset by the tracker
  } finally {
    plain.close();
  }
  assert.doesNotMatch(text, /pong/);
  const again = await RpcClient.connect(tracker.addr, { caCerts });
  try {
    assert.deepEqual(await again.request("ping"), { pong: true }, "the tracker still serves");
  } finally {
    again.close();
  }
});

Deno.test("a TLS tracker keeps serving while connections stall mid-handshake or send garbage", async () => {
  await using dir = await tempDir();
  const files = await writeClusterCerts(join(dir.path, "certs"), HOSTS);
  const tls = await readTlsIdentity(files.programs.tracker.cert, files.programs.tracker.key);
  await using tracker = await startTracker(testConfig(join(dir.path, "t"), { tls }));
  const [hostname, port] = tracker.addr.split(":");
  const target = { hostname: hostname!, port: Number(port) };
  const silent = await Deno.connect(target);
  const noisy = await Deno.connect(target);
  try {
    await noisy.write(crypto.getRandomValues(new Uint8Array(4096)));
    const rpc = await RpcClient.connect(tracker.addr, { caCerts: await readCaCerts(files.ca) });
    try {
      assert.deepEqual(await rpc.request("ping"), { pong: true });
    } finally {
      rpc.close();
    }
  } finally {
    closeQuietly(silent);
    closeQuietly(noisy);
  }
});

Deno.test("RpcClient.connect() refuses a tracker whose certificate is not from the cluster CA", async () => {
  await using dir = await tempDir();
  const files = await writeClusterCerts(join(dir.path, "certs"), HOSTS);
  await using rogue = await startRogueTracker();
  const error = await rejectsWith(
    RpcClient.connect(rogue.addr, { caCerts: await readCaCerts(files.ca) }),
    "UNAVAILABLE",
  );
  assert.match(error.message, /certificate|UnknownIssuer/i);
  assert.equal(rogue.received(), 0);
});

Deno.test("a client with --tls-ca never sends its password to a tracker whose certificate is not from the cluster CA", async () => {
  await using dir = await tempDir();
  const files = await writeClusterCerts(join(dir.path, "certs"), HOSTS);
  await using rogue = await startRogueTracker();
  const tls = await readTlsIdentity(files.programs.tracker.cert, files.programs.tracker.key);
  await using genuine = await startTracker(testConfig(join(dir.path, "t"), { tls }));
  await using client = await startClientProc(join(dir.path, "c"), [
    ...["--tracker", rogue.addr, "--tls-ca", files.ca, "--connect-timeout", "800"],
  ]);
  const refused = await client.cmd("create_user mallory-target pw-secret", 15_000);
  assert.equal(refused.ok, false, JSON.stringify(refused));
  assert.ok(rogue.accepted() > 0, "the client did dial the rogue tracker");
  assert.equal(rogue.received(), 0, "not one byte reached the rogue tracker");
  // The same client setup reaches the genuine tracker of the cluster.
  await using honest = await startClientProc(join(dir.path, "d"), [
    ...["--tracker", genuine.addr, "--tls-ca", files.ca],
  ]);
  await honest.ok("create_user alice pw-alice");
  const login = await honest.ok("login alice pw-alice");
  assert.equal(login.user, "alice");
});

Deno.test("trackers replicate and register with a balancer over TLS", async () => {
  await using dir = await tempDir();
  const files = await writeClusterCerts(join(dir.path, "certs"), HOSTS);
  const caCerts = await readCaCerts(files.ca);
  const trackerTls = await readTlsIdentity(files.programs.tracker.cert, files.programs.tracker.key);
  const balancerTls = await readTlsIdentity(
    files.programs.balancer.cert,
    files.programs.balancer.key,
  );
  await using balancer = await startBalancer({
    ...defaultBalancerConfig(),
    port: 0,
    pingIntervalMs: 100,
    tls: balancerTls,
    tlsCaCerts: caCerts,
  });
  const secret = "tls-cluster-secret";
  const common = { tls: trackerTls, tlsCaCerts: caCerts, clusterSecret: secret };
  await using t1 = await startTracker(
    testConfig(join(dir.path, "t1"), { ...common, id: 1, balancers: [balancer.addr] }),
  );
  await using t2 = await startTracker(
    testConfig(join(dir.path, "t2"), { ...common, id: 2, peers: [t1.addr] }),
  );
  const rpc = await RpcClient.connect(t1.addr, { caCerts });
  const b = await RpcClient.connect(balancer.addr, { caCerts });
  try {
    await rpc.request("create_user", { user: "alice", password: "pw-alice" });
    await waitFor(() => t1.digest() === t2.digest() ? true : undefined, 10_000);
    const picked = await waitFor(async () => {
      const reply = await b.request<{ addr?: string }>("get_tracker", { exclude: [] })
        .catch(() => undefined);
      return reply?.addr;
    }, 10_000);
    assert.equal(picked, t1.addr);
  } finally {
    rpc.close();
    b.close();
  }
});

Deno.test("tracker, balancer and client refuse to expose plain TCP beyond loopback without --insecure", async () => {
  await using dir = await tempDir();
  const tracker = await runProgram("tracker/main.ts", [
    ...["--host", "0.0.0.0", "--port", "0", "--data-dir", join(dir.path, "t")],
  ], ["--allow-all"]);
  assert.equal(tracker.code, 2, tracker.stderr);
  assert.match(tracker.stderr, /0\.0\.0\.0 is not loopback.*--insecure/);
  const balancer = await runProgram("balancer/main.ts", ["--host", "0.0.0.0", "--port", "0"], [
    "--allow-all",
  ]);
  assert.equal(balancer.code, 2, balancer.stderr);
  assert.match(balancer.stderr, /is not loopback/);
  const client = await runProgram("client/main.ts", [
    ...["--tracker", "192.0.2.1:7000", "--data-dir", join(dir.path, "c")],
  ], ["--allow-all"]);
  assert.equal(client.code, 2, client.stderr);
  assert.match(client.stderr, /dialing 192\.0\.2\.1 is not loopback/);
});

Deno.test("checkExposure() allows loopback and TLS, and warns only when --insecure allows clear text", () => {
  for (const host of ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"]) {
    assert.ok(isLoopbackHost(host), host);
  }
  for (const host of ["0.0.0.0", "10.0.0.1", "example.org", "::", "128.0.0.1"]) {
    assert.ok(!isLoopbackHost(host), host);
  }
  const what = "listening on";
  assert.equal(checkExposure(["127.0.0.1"], { tls: false, insecure: false, what }), undefined);
  assert.equal(checkExposure(["10.0.0.1"], { tls: true, insecure: false, what }), undefined);
  assert.throws(() => checkExposure(["10.0.0.1"], { tls: false, insecure: false, what }));
  assert.match(
    checkExposure(["10.0.0.1"], { tls: false, insecure: true, what }) ?? "",
    /^warning: listening on 10\.0\.0\.1 without TLS \(--insecure\)/,
  );
});
