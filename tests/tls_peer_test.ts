/**
 * TLS on the peer port: a seeder serves with its own self-signed
 * certificate, the tracker stores it with the share and hands it out with the
 * peer list, and a downloader trusts that certificate and no other.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createPeerCert } from "../protocol/certificates.ts";
import { createWorkerPool, PeerConn, startDownload, startSeeder } from "../client/transfer/mod.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { startClientProc, writeTestFile } from "./client_helpers.ts";
import { tempDir } from "./harness.ts";
import { connect, fakeManifest, rejectsWith, testConfig, userSession } from "./tracker_helpers.ts";
import { catalogOf, makeTestFile, testClusterKey, ticketFor } from "./transfer_fixtures.ts";

const PIECE = 16 * 1024;
const FAST = { pieceTimeoutMs: 2000, peerRefreshMs: 100, stallTimeoutMs: 4000, maxTries: 2 };
const HOSTS = ["127.0.0.1"];

Deno.test("a TLS seeder serves a downloader that trusts its certificate, and no one who trusts another", async () => {
  await using dir = await tempDir();
  await using pool = createWorkerPool(2);
  const file = await makeTestFile(dir.path, "src", 8 * PIECE + 5, PIECE);
  const identity = await createPeerCert(HOSTS);
  await using seeder = await startSeeder({
    catalog: catalogOf([file]),
    clusterKey: testClusterKey,
    tls: identity,
  });

  const good = await startDownload({
    manifest: file.manifest,
    ticket: ticketFor(file.manifest),
    peers: [seeder.addr],
    peerCerts: { [seeder.addr]: identity.cert },
    destPath: join(dir.path, "good"),
    pool,
    ...FAST,
  }).done;
  assert.deepEqual([good.state, good.error], ["complete", undefined]);
  assert.deepEqual(await Deno.readFile(join(dir.path, "good")), file.bytes);
  const servedToGood = seeder.stats().bytesServed;

  // A man in the middle would present its own certificate: a downloader
  // that pinned another one must refuse it.
  const other = await createPeerCert(HOSTS);
  const bad = await startDownload({
    manifest: file.manifest,
    ticket: ticketFor(file.manifest),
    peers: [seeder.addr],
    peerCerts: { [seeder.addr]: other.cert },
    destPath: join(dir.path, "bad"),
    pool,
    ...FAST,
    giveUpAfterMs: 1000,
  }).done;
  assert.equal(bad.state, "failed");
  assert.equal(seeder.stats().bytesServed, servedToGood, "not one byte served without TLS trust");

  // A plain-text peer gets no hello from a TLS seeder, only bytes it cannot read.
  await rejectsWith(PeerConn.connect(seeder.addr, 2000), "UNAVAILABLE");
  assert.equal(seeder.stats().bytesServed, servedToGood);
});

Deno.test("upload_file stores the seeder certificate and download_file returns it with the peer", async () => {
  await using dir = await tempDir();
  const config = testConfig(join(dir.path, "t"));
  const { cert } = await createPeerCert(HOSTS);
  const manifest = fakeManifest("tls-content");
  {
    await using tracker = await startTracker(config);
    using rpc = await connect(tracker.addr);
    const token = await userSession(rpc, "alice");
    await rpc.request("create_group", { token, group: "g" });
    const share = { token, group: "g", name: "f.bin", addr: "127.0.0.1:4000", manifest };
    for (const junk of ["not a cert", `${cert}${cert}`, "x".repeat(5000), 42]) {
      await rejectsWith(rpc.request("upload_file", { ...share, cert: junk }), "BAD_REQUEST");
    }
    await rpc.request("upload_file", { ...share, cert });
    const reply = await rpc.request<{ peers: { addr: string; cert?: string }[] }>(
      "download_file",
      { token, group: "g", name: "f.bin" },
    );
    assert.deepEqual(reply.peers, [{ user: "alice", addr: "127.0.0.1:4000", cert }]);
  }
  // After a restart the op log gives the certificate back.
  await using tracker = await startTracker(config);
  using rpc = await connect(tracker.addr);
  const { token } = await rpc.request<{ token: string }>("login", {
    user: "alice",
    password: "pw-alice",
  });
  const reply = await rpc.request<{ peers: { cert?: string }[] }>("download_file", {
    token,
    group: "g",
    name: "f.bin",
  });
  assert.equal(reply.peers[0]?.cert, cert);
});

Deno.test("a client with --peer-tls keeps its seeder key 0600 and announces its certificate with each share", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(join(dir.path, "t")));
  const dataDir = join(dir.path, "alice");
  await using alice = await startClientProc(dataDir, ["--tracker", tracker.addr, "--peer-tls"]);
  assert.equal((await Deno.stat(join(dataDir, "seeder-key.pem"))).mode! & 0o777, 0o600);
  const cert = await Deno.readTextFile(join(dataDir, "seeder-cert.pem"));
  await alice.ok("create_user alice pw-alice");
  await alice.ok("login alice pw-alice");
  await alice.ok("create_group g");
  await writeTestFile(join(dir.path, "f.bin"), 3 * PIECE);
  await alice.ok(`upload_file ${join(dir.path, "f.bin")} g`);
  using rpc = await connect(tracker.addr);
  const { token } = await rpc.request<{ token: string }>("login", {
    user: "alice",
    password: "pw-alice",
  });
  const reply = await rpc.request<{ peers: { addr: string; cert?: string }[] }>(
    "download_file",
    { token, group: "g", name: "f.bin" },
  );
  assert.equal(reply.peers[0]?.addr, alice.proc.addr);
  assert.equal(reply.peers[0]?.cert, cert);
});
