/**
 * A tracker answers requests while it writes a snapshot of a large state:
 * a reply comes back before the snapshot being staged is swapped in.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { formatStamp } from "../tracker/hlc.ts";
import type { Op } from "../tracker/ops.ts";
import { OpStore } from "../tracker/storage.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { connect, testConfig, userSession } from "./tracker_helpers.ts";

const GROUPS = 30_000;

/** Whether a snapshot is saved, and how many rows are staged beyond it. */
function snapshotRows(dataDir: string): { saved: boolean; staged: number } {
  const db = new DatabaseSync(`${dataDir}/tracker.db`, { readOnly: true });
  try {
    const saved = db.prepare("SELECT last_row FROM snapshot WHERE slot = 1").get() as
      | { last_row: number }
      | undefined;
    const staged = db.prepare("SELECT COUNT(*) AS n FROM snapshot_lines WHERE n > ?")
      .get(saved?.last_row ?? -1) as { n: number };
    return { saved: saved !== undefined, staged: staged.n };
  } finally {
    db.close();
  }
}

Deno.test("tracker answers a request while a snapshot of a large state is being staged", async () => {
  await using dir = await tempDir();
  // A log of many ops and no snapshot: the first commit after the start makes one due.
  const store = new OpStore(dir.path);
  const ms = Date.now() - 60_000;
  const ops: Op[] = Array.from({ length: GROUPS }, (_, i) => ({
    origin: 1,
    seq: i + 1,
    stamp: formatStamp({ ms: ms + i, counter: 0 }, 1),
    body: { type: "create_group", group: `group-${i}`, owner: `owner-${i % 100}` },
  }));
  store.append(ops);
  store.close();
  await using tracker = await startTracker(testConfig(dir.path, { id: 1, snapshotEveryOps: 1000 }));
  using c = await connect(tracker.addr);
  const token = await userSession(c, "alice"); // commits: the snapshot starts
  let staged = snapshotRows(dir.path);
  for (let i = 0; i < 1000 && staged.staged === 0 && !staged.saved; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    staged = snapshotRows(dir.path);
  }
  assert.equal(staged.saved, false, "the snapshot was not swapped in before it was seen staged");
  assert.ok(staged.staged > 0, "a snapshot is being staged");
  const { groups } = await c.request<{ groups: unknown[] }>("list_groups", { token });
  assert.equal(groups.length, GROUPS);
  assert.equal(snapshotRows(dir.path).saved, false, "answered while the snapshot is staged");
});
