/**
 * The saved snapshot in the op log's database: its lines in rows of about
 * SNAPSHOT_ROW_CHARS in `snapshot_lines`, and in `snapshot` the version
 * vector it covers and the range of rows that are its own.
 *
 * A new snapshot is staged in rows after every row in use, a few at a time,
 * each batch in a transaction of its own that needs no sync (it matters only
 * once the swap commits), while the old one stays whole and readable. The
 * swap is one short transaction that points `snapshot` at the new rows and
 * records its version vector, synced like every commit: a crash at any moment
 * leaves the old snapshot or the new one, never a mix. The old rows are
 * deleted after the swap, a few at a time; rows outside the range, left by a
 * crash or an abandoned snapshot, are deleted when the log is opened.
 */
import type { DatabaseSync } from "node:sqlite";
import { transaction } from "./sql_transaction.ts";
import { type VersionVector, vvFromObject, vvToObject } from "./version_vector.ts";

/** Characters of snapshot lines stored in one row. */
const SNAPSHOT_ROW_CHARS = 64 * 1024;
/**
 * WAL pages after which a staging commit checkpoints (SQLite's default is
 * 1000): measured, a snapshot's rows then cost each commit at most a few ms
 * of checkpoint instead of about 13 ms every 4 MB, for 50% more in total.
 */
const STAGING_CHECKPOINT_PAGES = 100;
const DEFAULT_CHECKPOINT_PAGES = 1000;

/** A saved state as its lines, read one at a time, and the version vector it covers. */
export interface SnapshotReader {
  lines: Iterable<string>;
  versionVector: VersionVector;
}

interface SnapshotRow {
  state: string;
  version_vector: string;
  first_row: number;
  last_row: number;
}

/** A snapshot being staged; nothing of it is seen until {@link StagedSnapshot.swapIn}. */
export interface StagedSnapshot {
  /** Adds lines, writing the rows they fill (in one transaction). */
  add(lines: readonly string[]): void;
  /** Makes the staged lines the saved snapshot, covering `versionVector`, in one transaction. */
  swapIn(versionVector: VersionVector): void;
}

/** The snapshot tables of one op log. */
export class SnapshotRows {
  #db: DatabaseSync;

  /**
   * Brings the tables up to date and deletes rows no snapshot owns.
   * @param db the open op log, migrated
   */
  constructor(db: DatabaseSync) {
    this.#db = db;
    const columns = db.prepare("SELECT name FROM pragma_table_info('snapshot')").all();
    if (!columns.some((c) => c["name"] === "first_row")) {
      // A log from before staged snapshots: every row was the snapshot's.
      db.exec(`ALTER TABLE snapshot ADD COLUMN first_row INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE snapshot ADD COLUMN last_row INTEGER NOT NULL DEFAULT -1;
        UPDATE snapshot SET first_row = coalesce((SELECT MIN(n) FROM snapshot_lines), 0),
          last_row = coalesce((SELECT MAX(n) FROM snapshot_lines), -1);`);
    }
    const row = this.#row();
    db.prepare("DELETE FROM snapshot_lines WHERE n < ? OR n > ?")
      .run(row?.first_row ?? 0, row?.last_row ?? -1);
  }

  #row(): SnapshotRow | undefined {
    return this.#db.prepare(
      "SELECT state, version_vector, first_row, last_row FROM snapshot WHERE slot = 1",
    ).get() as SnapshotRow | undefined;
  }

  /**
   * The saved snapshot, its lines read from disk as they are iterated.
   * @returns the reader, or undefined when none is saved
   */
  reader(): SnapshotReader | undefined {
    const row = this.#row();
    if (row === undefined) return undefined;
    const versionVector = vvFromObject(JSON.parse(row.version_vector));
    if (row.state !== "") return { lines: [row.state], versionVector }; // an older single text
    const db = this.#db;
    const lines = {
      *[Symbol.iterator]() {
        const rows = db.prepare(
          "SELECT line FROM snapshot_lines WHERE n BETWEEN ? AND ? ORDER BY n",
        )
          .iterate(row.first_row, row.last_row);
        for (const r of rows as Iterable<{ line: string }>) yield* r.line.split("\n");
      },
    };
    return { lines, versionVector };
  }

  /**
   * A page of the saved snapshot, for sending it to a peer.
   * @param afterRow the last row already read, counted from 0 (-1 for none)
   * @returns the lines of the rows after `afterRow` (at most `limit` rows), and the
   *   version vector of the snapshot they belong to (it changes when a new one is swapped in)
   */
  page(afterRow: number, limit: number): { lines: string[]; rows: number; versionVector: string } {
    const row = this.#row();
    if (row === undefined) return { lines: [], rows: 0, versionVector: "" };
    const rows = this.#db.prepare(
      "SELECT line FROM snapshot_lines WHERE n > ? AND n <= ? ORDER BY n LIMIT ?",
    ).all(row.first_row + afterRow, row.last_row, limit) as unknown as { line: string }[];
    return {
      lines: rows.flatMap((r) => r.line.split("\n")),
      rows: rows.length,
      versionVector: row.version_vector,
    };
  }

  /**
   * Starts staging a new snapshot after every row in use.
   * @returns the staged snapshot
   */
  stage(): StagedSnapshot {
    const db = this.#db;
    const top = db.prepare("SELECT MAX(n) AS n FROM snapshot_lines").get() as { n: number | null };
    const first = (top.n ?? -1) + 1;
    const insert = db.prepare("INSERT OR REPLACE INTO snapshot_lines (n, line) VALUES (?, ?)");
    let next = first;
    let row: string[] = [];
    let chars = 0;
    // Lines go in rows of about SNAPSHOT_ROW_CHARS: one insert per line cost a fifth of the
    // write throughput while snapshots of 30,000 files were taken.
    const put = (lines: readonly string[], last: boolean) => {
      for (const line of lines) {
        row.push(line);
        chars += line.length;
        if (chars < SNAPSHOT_ROW_CHARS) continue;
        insert.run(next++, row.join("\n"));
        [row, chars] = [[], 0];
      }
      if (last && row.length > 0) insert.run(next++, row.join("\n"));
    };
    return {
      add: (lines) => {
        // No sync: these rows count only once the swap, which syncs, commits.
        db.exec(`PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=${STAGING_CHECKPOINT_PAGES}`);
        try {
          transaction(db, () => put(lines, false));
        } finally {
          db.exec(`PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=${DEFAULT_CHECKPOINT_PAGES}`);
        }
      },
      swapIn: (versionVector) => {
        transaction(db, () => {
          put([], true);
          db.prepare(
            `INSERT OR REPLACE INTO snapshot (slot, state, version_vector, first_row, last_row)
             VALUES (1, '', ?, ?, ?)`,
          ).run(JSON.stringify(vvToObject(versionVector)), first, next - 1);
        });
      },
    };
  }

  /**
   * Deletes rows before the saved snapshot's (an older snapshot's), a few at a time.
   * @returns whether any are left
   */
  dropOld(maxRows: number): boolean {
    const first = this.#row()?.first_row ?? 0;
    const low = this.#db.prepare("SELECT MIN(n) AS n FROM snapshot_lines").get() as {
      n: number | null;
    };
    if (low.n === null || low.n >= first) return false;
    const upTo = Math.min(first, low.n + maxRows);
    transaction(this.#db, () => {
      this.#db.prepare("DELETE FROM snapshot_lines WHERE n < ?").run(upTo);
    });
    return upTo < first;
  }
}
