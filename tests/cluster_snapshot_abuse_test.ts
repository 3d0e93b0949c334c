/**
 * `peer_snapshot` abused: without a handshake it is refused; over a real link,
 * parts out of order, lines that are not a snapshot and piece hashes that do
 * not match their key are refused, and the tracker's state does not change.
 */
import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { DialedLink } from "../tracker/link_dialer.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig, userSession } from "./tracker_helpers.ts";

const SECRET = "snapshot-abuse-secret";
const HEADER = JSON.stringify({ version: 3, horizonMs: 0 });

Deno.test("cluster: peer_snapshot refuses strangers, bad parts, bad lines and forged piece hashes", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path, { id: 1, clusterSecret: SECRET }));
  using client = await connect(tracker.addr);
  await userSession(client, "alice");
  const before = await client.request<{ digest: string }>("digest");

  // No handshake: refused.
  await rejectsWith(
    client.request("peer_snapshot", {
      part: 0,
      lines: [HEADER],
      done: true,
      versionVector: { "9": 99 },
      seq: 1,
      mac: "0".repeat(64),
    }),
    "UNAUTHORIZED",
  );
  // Ill-typed: refused before anything else.
  await rejectsWith(
    client.request("peer_snapshot", { part: 0, lines: [1], done: true, versionVector: {} }),
    "BAD_REQUEST",
  );

  const bad: { lines: string[]; part?: number; why: string }[] = [
    { lines: [HEADER], part: 3, why: "a part out of order" },
    { lines: ['{"version":1,"horizonMs":0}'], why: "another snapshot version" },
    { lines: [HEADER, '["user"'], why: "a line that is not JSON" },
    { lines: [HEADER, '["groups","x",{}]'], why: "an unknown record" },
    {
      lines: [HEADER, JSON.stringify(["pieces", "0".repeat(64), "ab".repeat(32)])],
      why: "forged pieces",
    },
  ];
  for (const { lines, part, why } of bad) {
    const conn = await RpcClient.connect(tracker.addr);
    try {
      const link = await DialedLink.open(conn, {
        secret: SECRET,
        selfId: 9,
        selfAddr: "127.0.0.1:1",
        peer: tracker.addr,
      });
      const sent = link.sendSnapshotPart(
        { part: part ?? 0, lines, done: true, versionVector: { "9": 50 } },
        5000,
      );
      await assert.rejects(sent, (e) => e instanceof AppError && e.code === "BAD_REQUEST", why);
    } finally {
      conn.close();
    }
  }
  const after = await client.request<{ digest: string; ops: number }>("digest");
  assert.equal(after.digest, before.digest);
  const status = await client.request<{ versionVector: Record<string, number> }>("status");
  assert.equal(status.versionVector["9"], undefined, "no bad snapshot moved the version vector");
});
