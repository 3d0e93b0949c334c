import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { OpStore } from "./storage.ts";

// Lines long enough to fill many rows of about 64 KiB.
const linesOf = (name: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${name}-${i}-${"x".repeat(4000)}`);

function readAll(store: OpStore, afterEachPage: () => void = () => {}) {
  const identity = store.snapshotPage(-1, 0).versionVector;
  const lines: string[] = [];
  for (let after = -1; after < 10_000;) {
    const page = store.snapshotPage(after, 2);
    if (page.versionVector !== identity) return { lines, identity, changed: page.versionVector };
    lines.push(...page.lines);
    after += page.rows;
    if (page.rows < 2) break;
    afterEachPage();
  }
  return { lines, identity, changed: undefined };
}

Deno.test("OpStore: a snapshot being staged is not seen; pages read meanwhile are all of the saved one", async () => {
  const dir = await Deno.makeTempDir();
  const store = new OpStore(dir);
  try {
    const old = linesOf("old", 200);
    store.saveSnapshot(old, new Map([[1, 10]]));
    const staged = store.stageSnapshot();
    const fresh = linesOf("new", 300);
    let next = 0;
    const read = readAll(store, () => staged.add(fresh.slice(next, next += 20)));
    assert.equal(read.changed, undefined);
    assert.deepEqual(read.lines, old);
    staged.add(fresh.slice(next));
    // A transfer under way when the new one is swapped in sees its version vector change.
    const during = readAll(store, () => staged.swapIn(new Map([[1, 20]])));
    assert.equal(during.identity, '{"1":10}');
    assert.equal(during.changed, '{"1":20}');
    assert.deepEqual(readAll(store).lines, fresh);
    while (store.dropOldSnapshotRows(3));
    assert.deepEqual([...store.snapshotReader()!.lines], fresh);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OpStore: a log left with a snapshot half staged opens with the saved one whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const old = linesOf("old", 100);
    const store = new OpStore(dir);
    store.saveSnapshot(old, new Map([[1, 5]]));
    const staged = store.stageSnapshot();
    staged.add(linesOf("new", 100)); // committed rows, never swapped in: as at a kill -9
    store.close();
    const reopened = new OpStore(dir);
    try {
      const reader = reopened.snapshotReader()!;
      assert.deepEqual(reader.versionVector, new Map([[1, 5]]));
      assert.deepEqual([...reader.lines], old);
      reopened.saveSnapshot(["a", "b"], new Map([[1, 6]]));
      assert.deepEqual([...reopened.snapshotReader()!.lines], ["a", "b"]);
    } finally {
      reopened.close();
    }
    const db = new DatabaseSync(`${dir}/tracker.db`);
    const rows = db.prepare("SELECT COUNT(*) AS n FROM snapshot_lines").get() as { n: number };
    db.close();
    assert.equal(rows.n, 1, "rows of the abandoned and the old snapshot are gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OpStore: a snapshot saved before staged snapshots is still read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = new DatabaseSync(`${dir}/tracker.db`);
    // As the last version left it: migrated (user_version 2), piece hashes apart.
    db.exec(`
      PRAGMA user_version = 2;
      CREATE TABLE piece_hashes (key TEXT PRIMARY KEY, hashes BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE snapshot (slot INTEGER PRIMARY KEY CHECK (slot = 1), state TEXT NOT NULL,
        version_vector TEXT NOT NULL);
      CREATE TABLE snapshot_lines (n INTEGER PRIMARY KEY, line TEXT NOT NULL);
      INSERT INTO snapshot VALUES (1, '', '{"1":3}');
      INSERT INTO snapshot_lines VALUES (0, 'first' || char(10) || 'second'), (1, 'third');
    `);
    db.close();
    const store = new OpStore(dir);
    try {
      assert.deepEqual([...store.snapshotReader()!.lines], ["first", "second", "third"]);
      assert.deepEqual(store.snapshotPage(0, 5).lines, ["third"]);
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
