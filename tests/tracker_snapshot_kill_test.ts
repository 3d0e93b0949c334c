/**
 * A tracker killed with SIGKILL while it is writing a snapshot (lines staged
 * beside the saved one, not yet swapped in) restarts with a whole state and
 * every write it acknowledged.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { AppError } from "../protocol/errors.ts";
import { spawnProgram, tempDir } from "./harness.ts";
import { connect, fakeManifest, userSession } from "./tracker_helpers.ts";

const CONNECTIONS = 20;
const MAX_UPLOADS = 60_000;

/** Rows staged for a snapshot that is not swapped in, read from the tracker's database. */
function stagedRows(dataDir: string): number {
  const db = new DatabaseSync(`${dataDir}/tracker.db`, { readOnly: true });
  try {
    const row = db.prepare(
      `SELECT COUNT(*) AS n FROM snapshot_lines
       WHERE n > coalesce((SELECT last_row FROM snapshot WHERE slot = 1), -1)`,
    ).get() as { n: number };
    return row.n;
  } catch {
    return 0; // the tables are not there yet
  } finally {
    db.close();
  }
}

Deno.test("tracker killed with SIGKILL while writing a snapshot restarts whole, with every acknowledged write", async () => {
  await using dir = await tempDir();
  const acked: string[] = [];
  let token: string;
  {
    await using tracker = await spawnProgram("tracker", ["--port", "0", "--data-dir", dir.path]);
    using admin = await connect(tracker.addr);
    token = await userSession(admin, "alice");
    await admin.request("create_group", { token, group: "g" });
    const conns = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => connect(tracker.addr)),
    );
    let next = 0;
    let killed = false;
    // Uploads keep coming, so the state grows and snapshots of it take many turns.
    const writers = conns.map(async (conn) => {
      while (!killed && next < MAX_UPLOADS) {
        const name = `f${next++}`;
        try {
          await conn.request("upload_file", {
            token,
            group: "g",
            name,
            addr: "127.0.0.1:9001",
            manifest: fakeManifest(name),
          });
          acked.push(name);
        } catch (error) {
          assert.ok(killed && error instanceof AppError, String(error));
        }
      }
    });
    let staged = 0;
    while (!killed && next < MAX_UPLOADS) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      staged = acked.length > 8000 ? stagedRows(dir.path) : 0;
      if (staged === 0) continue;
      tracker.child.kill("SIGKILL");
      killed = true;
    }
    await Promise.all(writers);
    for (const conn of conns) conn.close();
    assert.ok(killed, "a snapshot was caught being written");
    assert.notEqual((await tracker.status).code, 0);
    assert.ok(stagedRows(dir.path) > 0, "the kill left a snapshot half written");
  }
  await using again = await spawnProgram("tracker", ["--port", "0", "--data-dir", dir.path]);
  using c = await connect(again.addr);
  const { files } = await c.request<{ files: { name: string }[] }>("list_files", {
    token,
    group: "g",
  });
  const names = new Set(files.map((f) => f.name));
  const lost = acked.filter((name) => !names.has(name));
  assert.deepEqual(lost, [], "every acknowledged upload is there");
  assert.equal(stagedRows(dir.path), 0, "the half-written snapshot is gone");
});
