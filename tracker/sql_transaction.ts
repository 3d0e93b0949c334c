/** One SQLite transaction, the way every write of the tracker's database is made. */
import type { DatabaseSync } from "node:sqlite";

/** Runs `body` in one transaction (BEGIN IMMEDIATE ... COMMIT), rolled back when it throws. */
export function transaction(db: DatabaseSync, body: () => void): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    body();
    db.exec("COMMIT");
  } catch (error) {
    // SQLite rolls back by itself after some errors (SQLITE_FULL among
    // them); a second ROLLBACK would fail and hide the real error.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
