import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileHashOf } from "../protocol/manifest.ts";
import { formatStamp } from "./hlc.ts";
import { parseOp } from "./ops.ts";
import { Replica } from "./replica.ts";
import { fileView, groupView } from "./state_view.ts";
import { OpStore } from "./storage.ts";
import { manifestOf } from "./_test_helpers.ts";

const T0 = Date.now();
const stampAt = (ms: number) => formatStamp({ ms, counter: 0 }, 1);

Deno.test("OpStore renames the old-style file ids of an older op log and drops its snapshot", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    new OpStore(dir).close(); // today's tables, then rows as an older version wrote them
    const current = manifestOf("report");
    const oldId = createHash("sha256").update("the file's bytes").digest("hex");
    const old = { ...current, fileHash: oldId };
    const epoch = stampAt(T0 + 1);
    const share = { type: "share_file", group: "g1", epoch, addr: "127.0.0.1:9001" };
    const bodies = [
      { type: "create_group", group: "g1", owner: "alice" },
      { type: "set_member", group: "g1", epoch, user: "bob", status: "member" },
      { ...share, name: "r.pdf", user: "alice", fileHash: oldId, manifest: old },
      { ...share, name: "r.pdf", user: "bob", fileHash: oldId },
    ];
    const db = new DatabaseSync(join(dir, "tracker.db"));
    const insert = db.prepare(
      "INSERT INTO ops (origin, seq, stamp, body, retry) VALUES (1, ?, ?, ?, ?)",
    );
    bodies.forEach((body, i) => {
      const retry = i === 2
        ? JSON.stringify({ key: "upload_file:alice:r1", reply: { fileHash: oldId } })
        : null;
      insert.run(i + 1, stampAt(T0 + 1 + i), JSON.stringify(body), retry);
    });
    db.prepare("INSERT INTO snapshot (slot, state, version_vector) VALUES (1, '{}', '{}')").run();
    db.exec("PRAGMA user_version = 1");
    db.close();

    const store = new OpStore(dir);
    const ops = store.readAfter(1, 0, 10);
    assert.equal(store.loadSnapshot(), undefined, "the old snapshot is gone");
    store.close();
    const newId = fileHashOf(current);
    assert.deepEqual(ops.slice(2).map((op) => (op.body as { fileHash: string }).fileHash), [
      newId,
      newId,
    ]);
    // The rewritten ops are what a tracker of today accepts from a peer.
    for (const op of ops) parseOp(op);
    assert.equal(ops[2]!.retry?.reply["fileHash"], newId);

    // Once migrated, the log is not scanned again: an op written later stays as written.
    const again = new OpStore(dir);
    assert.equal(again.readAfter(1, 0, 10)[2]!.body.type, "share_file");
    again.close();
    const replica = Replica.open({
      id: 1,
      dataDir: dir,
      snapshotEveryOps: 5000,
    });
    try {
      const file = fileView(replica.state, groupView(replica.state, "g1")!, "r.pdf");
      assert.equal(file?.fileHash, newId);
      const { fileHash, size, pieceSize } = file!.manifest!;
      assert.deepEqual({ fileHash, size, pieceSize }, {
        fileHash: current.fileHash,
        size: current.size,
        pieceSize: current.pieceSize,
      });
      assert.deepEqual(await replica.pieceHashesOf(file!.manifest!), current.pieceHashes);
      // Both shares now name the new id (they are handed out again once their clients renew).
      const seeds = [...groupView(replica.state, "g1")!.record.files.get("r.pdf")!.values()];
      assert.deepEqual(seeds.map((s) => s.value.active && s.value.fileHash), [newId, newId]);
    } finally {
      replica.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
