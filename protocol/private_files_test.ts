import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ensurePrivateDir, preparePrivateDatabase } from "./private_files.ts";

function modeOf(path: string): number {
  return (Deno.statSync(path).mode ?? 0) & 0o777;
}

Deno.test("ensurePrivateDir() and preparePrivateDatabase() leave 0700 and 0600, WAL and SHM too", () => {
  const root = Deno.makeTempDirSync();
  try {
    const dir = join(root, "a", "data");
    ensurePrivateDir(dir);
    assert.equal(modeOf(dir), 0o700);
    const path = join(dir, "x.db");
    preparePrivateDatabase(path);
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode=WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    for (const name of ["x.db", "x.db-wal", "x.db-shm"]) {
      assert.equal(modeOf(join(dir, name)), 0o600, name);
    }
    db.close();
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("ensurePrivateDir() and preparePrivateDatabase() tighten what an older version left open", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.chmodSync(dir, 0o755);
    const path = join(dir, "x.db");
    for (const name of ["x.db", "x.db-wal", "x.db-shm"]) {
      Deno.writeFileSync(join(dir, name), new Uint8Array(), { mode: 0o644 });
      Deno.chmodSync(join(dir, name), 0o644);
    }
    ensurePrivateDir(dir);
    preparePrivateDatabase(path);
    assert.equal(modeOf(dir), 0o700);
    for (const name of ["x.db", "x.db-wal", "x.db-shm"]) {
      assert.equal(modeOf(join(dir, name)), 0o600, name);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
