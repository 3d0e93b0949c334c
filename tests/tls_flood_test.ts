/**
 * Silent-socket floods on every TLS port: the tracker's, the balancer's and
 * a seeder's. Each server closes the flood's connections at its first-message
 * deadline, before any TLS handshake, and must then give their descriptors
 * back at once although the attacker keeps its sockets open; meanwhile a
 * legitimate TLS client is served.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeClusterCerts } from "../certs/cluster_certs.ts";
import { createPeerCert } from "../protocol/certificates.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { readCaCerts, readTlsIdentity } from "../protocol/tls.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { startBalancer } from "../balancer/balancer_server.ts";
import { createWorkerPool, startDownload, startSeeder } from "../client/transfer/mod.ts";
import { spawnProgram, tempDir } from "./harness.ts";
import { balancerTestConfig } from "./test_configs.ts";
import { testConfig, userSession, waitFor } from "./tracker_helpers.ts";
import { catalogOf, makeTestFile, testClusterKey, ticketFor } from "./transfer_fixtures.ts";

const FLOOD = 500;
/** Short enough that the flood is closed soon; long enough for a real handshake. */
const FIRST_MESSAGE_MS = 500;
/** Descriptors the test process may open meanwhile (clients, timers, the flood program's pipes). */
const SLACK = 40;
const HOSTS = ["127.0.0.1", "localhost"];
const hasProcFd = (() => {
  try {
    Deno.statSync("/proc/self/fd");
    return true;
  } catch {
    // deno-lint-ignore no-console
    console.error("TLS flood tests: SKIPPED: no /proc/self/fd to count descriptors with");
    return false;
  }
})();

function openDescriptors(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/**
 * Floods `addr` from another process with silent sockets, waits until the
 * server closed every one, and checks that this process (the server's) is
 * back near `baseline` descriptors while the flood still holds its sockets.
 * @returns the running flood, to stop once the caller has checked service
 */
async function floodAndCheckReleased(addr: string, baseline: number) {
  const flood = await spawnProgram("silent", [addr, String(FLOOD)], {
    entry: "tests/silent_sockets.ts",
    readyTimeoutMs: 60_000,
  });
  try {
    await flood.waitForLine(new RegExp(`^closed ${FLOOD}$`), 60_000);
    await waitFor(
      () => openDescriptors() <= baseline + SLACK ? true : undefined,
      20_000,
      `descriptors back near ${baseline} (now ${openDescriptors()})`,
    );
    assert.equal(flood.exited, false, "the flood still holds its sockets");
  } catch (error) {
    await flood.stop();
    throw error;
  }
  return flood;
}

Deno.test({
  name:
    "a TLS tracker releases the descriptors of a silent flood it closed, and still logs clients in",
  ignore: !hasProcFd,
  async fn() {
    await using dir = await tempDir();
    const files = await writeClusterCerts(join(dir.path, "certs"), HOSTS);
    const tls = await readTlsIdentity(files.programs.tracker.cert, files.programs.tracker.key);
    await using tracker = await startTracker(testConfig(join(dir.path, "t"), {
      tls,
      firstMessageTimeoutMs: FIRST_MESSAGE_MS,
      maxConnectionsPerSource: 2 * FLOOD,
    }));
    const baseline = openDescriptors();
    await using _flood = await floodAndCheckReleased(tracker.addr, baseline);
    const rpc = await RpcClient.connect(tracker.addr, { caCerts: await readCaCerts(files.ca) });
    try {
      assert.match(await userSession(rpc, "alice"), /\S/);
    } finally {
      rpc.close();
    }
  },
});

Deno.test({
  name: "a TLS balancer releases the descriptors of a silent flood it closed, and still answers",
  ignore: !hasProcFd,
  async fn() {
    await using dir = await tempDir();
    const files = await writeClusterCerts(join(dir.path, "certs"), HOSTS);
    const tls = await readTlsIdentity(files.programs.balancer.cert, files.programs.balancer.key);
    await using balancer = await startBalancer(balancerTestConfig({
      tls,
      firstMessageTimeoutMs: FIRST_MESSAGE_MS,
      maxConnectionsPerSource: 2 * FLOOD,
    }));
    const baseline = openDescriptors();
    await using _flood = await floodAndCheckReleased(balancer.addr, baseline);
    const rpc = await RpcClient.connect(balancer.addr, { caCerts: await readCaCerts(files.ca) });
    try {
      assert.deepEqual(await rpc.request("list_trackers"), { trackers: [] });
    } finally {
      rpc.close();
    }
  },
});

Deno.test({
  name:
    "a TLS seeder releases the descriptors of a silent flood it closed, and still serves a download",
  ignore: !hasProcFd,
  async fn() {
    await using dir = await tempDir();
    await using pool = createWorkerPool(1);
    const piece = 16 * 1024;
    const file = await makeTestFile(dir.path, "src", 4 * piece + 3, piece);
    const identity = await createPeerCert(["127.0.0.1"]);
    await using seeder = await startSeeder({
      catalog: catalogOf([file]),
      clusterKey: testClusterKey,
      tls: identity,
      ticketWaitMs: FIRST_MESSAGE_MS,
      maxConnections: 2 * FLOOD,
      maxPerSource: 2 * FLOOD,
    });
    const baseline = openDescriptors();
    await using _flood = await floodAndCheckReleased(seeder.addr, baseline);
    const done = await startDownload({
      manifest: file.manifest,
      ticket: ticketFor(file.manifest),
      peers: [seeder.addr],
      peerCerts: { [seeder.addr]: identity.cert },
      destPath: join(dir.path, "got"),
      pool,
    }).done;
    assert.deepEqual([done.state, done.error], ["complete", undefined]);
    assert.deepEqual(await Deno.readFile(join(dir.path, "got")), file.bytes);
  },
});
