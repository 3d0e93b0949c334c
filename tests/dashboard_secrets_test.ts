/**
 * The dashboards of all three programs while a real cluster works: a client
 * logs in and downloads from a seeder through a tracker registered with a
 * balancer. The client's page shows the download filling in from its peer,
 * every endpoint's output parses, and none of it (pages, views, events,
 * metrics) carries a password, a session token, a ticket, the cluster secret
 * or the cluster's private key.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { startClient } from "../client/app.ts";
import { startSeeder } from "../client/transfer/mod.ts";
import { startBalancer } from "../balancer/balancer_server.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { deriveClusterKey } from "../protocol/cluster_key.ts";
import type { DashboardView, PieceMapCell } from "../protocol/dashboard_view.ts";
import { tempDir } from "./harness.ts";
import { connect, testConfig, userSession, waitFor } from "./tracker_helpers.ts";
import { catalogOf, makeTestFile, TEST_SECRET, testClusterKey } from "./transfer_fixtures.ts";
import { balancerTestConfig, clientTestConfig } from "./test_configs.ts";
import { EventReader, get, PAGE_PATHS } from "./http_page_helpers.ts";
import { parsePromText } from "./prom_parse.ts";

const PIECE = 16 * 1024;
const PASSWORDS = ["pw-sam-Xq93", "pw-bob-Zr71"];

/** Every endpoint's output, the first event of its stream included. */
async function everything(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (const path of PAGE_PATHS) {
    const reply = await get(url, path);
    assert.equal(reply.status, 200, `${url}${path}`);
    bodies.push(reply.body);
  }
  parsePromText(bodies[PAGE_PATHS.indexOf("/metrics")]!);
  await using events = await EventReader.open(url);
  bodies.push(JSON.stringify(await events.until(() => true)));
  return bodies;
}

Deno.test("dashboards show a download filling in and never a secret, token or ticket", async () => {
  await using dir = await tempDir();
  await using balancer = await startBalancer(
    balancerTestConfig({ httpPort: 0, clusterSecret: TEST_SECRET }),
  );
  await using tracker = await startTracker(testConfig(join(dir.path, "tracker"), {
    clusterSecret: TEST_SECRET,
    balancers: [balancer.addr],
    httpPort: 0,
  }));
  using rpc = await connect(tracker.addr);
  const file = await makeTestFile(dir.path, "src", 12 * PIECE, PIECE);
  // Slow, so the download is still running when the page is read.
  await using seeder = await startSeeder({
    catalog: catalogOf([file]),
    clusterKey: testClusterKey,
    uploadBytesPerSec: 48 * 1024,
  });
  await using client = await startClient(
    clientTestConfig(join(dir.path, "bob"), { httpPort: 0 }),
    { trackers: [tracker.addr], onNotice: () => {}, cwd: dir.path },
  );
  const sam = await userSession(rpc, "sam", PASSWORDS[0]);
  await rpc.request("create_group", { token: sam, group: "g" });
  for (
    const line of [`create_user bob ${PASSWORDS[1]}`, `login bob ${PASSWORDS[1]}`, "join_group g"]
  ) {
    assert.equal((await client.run(line)).kind, "ok", line);
  }
  await rpc.request("accept_request", { token: sam, group: "g", user: "bob" });
  await rpc.request("upload_file", {
    token: sam,
    group: "g",
    name: "f.bin",
    addr: seeder.addr,
    manifest: file.manifest,
  });
  const { ticket } = await rpc.request<{ ticket: string }>("download_file", {
    token: sam,
    group: "g",
    name: "f.bin",
  });
  assert.equal((await client.run("download_file g f.bin f.bin")).kind, "ok");

  const clientUrl = client.dashboardUrl!;
  await using events = await EventReader.open(clientUrl);
  const midway = await events.until<DashboardView>((view) => {
    const row = view.sections.find((s) => s.title === "Piece maps")?.rows[0];
    return /a/.test((row?.[1] as PieceMapCell | undefined)?.pieces ?? "");
  });
  const cell = midway.sections.find((s) => s.title === "Piece maps")!.rows[0]![1] as PieceMapCell;
  assert.deepEqual(cell.peers, [seeder.addr]);
  assert.equal(cell.pieces.length, 12);
  const peerRow = midway.sections.find((s) => s.title === "Peers")!.rows[0]!;
  assert.equal(peerRow[1], seeder.addr);
  assert.equal((await client.run("wait")).kind, "ok");
  await events.until<DashboardView>((view) =>
    view.sections.find((s) => s.title === "Shares")!.rows.some((r) => r[0] === "f.bin")
  );

  const db = new DatabaseSync(join(dir.path, "bob", "client.db"), { readOnly: true });
  const bobToken = String(
    (db.prepare("SELECT token FROM session").get() as { token: string }).token,
  );
  db.close();
  const privateKey = String(deriveClusterKey(TEST_SECRET).privateKey.export({ format: "jwk" }).d);
  const secrets = [...PASSWORDS, sam, bobToken, ticket, ticket.split(".").at(-1)!, TEST_SECRET];
  secrets.push(privateKey);
  await waitFor(
    () =>
      get(balancer.dashboardUrl!, "/view.json").then((r) =>
        r.body.includes(tracker.addr) ? true : undefined
      ),
    15_000,
    "the tracker's registration",
  );
  const urls = [balancer.dashboardUrl!, tracker.dashboardUrl!, clientUrl];
  for (const url of urls) {
    const bodies = await everything(url);
    for (const secret of secrets) {
      assert.ok(secret.length >= 8);
      for (const body of bodies) {
        assert.ok(!body.includes(secret), `${url} shows a secret: ${secret.slice(0, 6)}...`);
      }
    }
  }
  const metrics = parsePromText((await get(clientUrl, "/metrics")).body);
  assert.equal(metrics.find((s) => s.name === "client_downloaded_pieces")?.value, 12);
  assert.equal(metrics.find((s) => s.name === "client_shares")?.value, 1);
  // The client heartbeats its tracker all along: answered, with a round-trip time.
  const answered = metrics.find((s) =>
    s.name === "client_heartbeats_total" && s.labels["outcome"] === "answered"
  );
  assert.ok((answered?.value ?? 0) > 0, JSON.stringify(answered));
  const rttSum = metrics.find((s) => s.name === "client_heartbeat_rtt_seconds_sum")?.value ?? -1;
  assert.ok(rttSum > 0, `heartbeat round trips summed: ${rttSum}`);
  assert.equal(metrics.find((s) => s.name === "client_failovers_total")?.value, 0);
});
