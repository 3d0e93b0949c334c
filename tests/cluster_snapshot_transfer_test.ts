/**
 * A peer that lags too far behind is sent the snapshot page by page while the
 * sender keeps taking writes and writing newer snapshots: it gets one whole
 * snapshot (a transfer that sees a newer one swapped in starts again) and
 * ends with the sender's state.
 */
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, testConfig, userSession, waitFor } from "./tracker_helpers.ts";

const SECRET = "snapshot-transfer-test-secret";
const GROUPS_BEFORE = 8000;
const CONNECTIONS = 10;

Deno.test("cluster: a lagging peer sent the snapshot while newer ones are written ends with the sender's state", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  const small = { clusterSecret: SECRET, snapshotEveryOps: 300, logKeepOps: 50 };
  const c1 = testConfig(d1.path, { id: 1, ...small });
  await using t1 = await startTracker(c1);
  using admin = await connect(t1.addr);
  const token = await userSession(admin, "alice");
  const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(t1.addr)));
  try {
    let next = 0;
    await Promise.all(conns.map(async (conn) => {
      while (next < GROUPS_BEFORE) {
        await conn.request("create_group", { token, group: `g${next++}` });
      }
    }));
    // Writes keep coming while tracker 2 catches up: tracker 1 keeps writing snapshots.
    let writing = true;
    const writers = conns.map(async (conn) => {
      for (let i = 0; writing && i < 20_000; i++) {
        await conn.request("create_group", { token, group: `live${next++}` });
      }
    });
    const c2 = testConfig(d2.path, { id: 2, ...small, peers: [t1.addr] });
    await using t2 = await startTracker(c2);
    try {
      await waitFor(
        () => c1.logLines.some((line) => line.includes("sending the snapshot")) || undefined,
        20_000,
        "tracker 1 to send its snapshot",
      );
      using on2 = await connect(t2.addr);
      await waitFor(
        async () => {
          const { ops } = await on2.request<{ ops: number }>("digest");
          return ops > GROUPS_BEFORE || undefined;
        },
        20_000,
        "tracker 2 to take the snapshot in",
      );
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    const digestOf = async (addr: string) => {
      using c = await connect(addr);
      return await c.request<{ digest: string; ops: number }>("digest");
    };
    const want = await digestOf(t1.addr);
    await waitFor(
      async () => (await digestOf(t2.addr)).digest === want.digest || undefined,
      20_000,
      "tracker 2 to converge",
    );
  } finally {
    for (const conn of conns) conn.close();
  }
});
