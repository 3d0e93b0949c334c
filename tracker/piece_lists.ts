/**
 * Piece-hash lists on disk, in a table keyed by SQLite's own rowid, found
 * through an in-memory map from pieces key to rowid (one entry per list, so
 * memory grows with the number of manifests, not of pieces). Pieces keys are
 * hashes, so a table keyed by them takes every insert at a random place of
 * its B-tree: measured, 100,000 uploads in commits of 100 took 4.7-5.3 s that
 * way and 2.0-2.1 s appended by rowid. The map is rebuilt from the table when
 * the log opens; inserts made in a transaction reach it only once it commits.
 * A log that kept lists by key (`piece_hashes`) is moved over when opened.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { transaction } from "./sql_transaction.ts";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS piece_lists (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    hashes BLOB NOT NULL
  );
`;

/** The piece-hash lists of one op log. */
export class PieceLists {
  #db: DatabaseSync;
  #ids = new Map<string, number>();
  /** Inserted in the transaction under way, not yet committed. */
  #pending = new Map<string, number>();
  #insert: StatementSync;
  #read: StatementSync;
  #remove: StatementSync;

  /**
   * Creates the table, moves lists kept by key into it, and loads the map.
   * @param db the open op log
   */
  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    const byKey = db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'piece_hashes'",
    ).get();
    if (byKey !== undefined) {
      transaction(db, () => {
        db.exec(`INSERT INTO piece_lists (key, hashes)
          SELECT key, hashes FROM piece_hashes
          WHERE key NOT IN (SELECT key FROM piece_lists) ORDER BY key`);
        db.exec("DROP TABLE piece_hashes");
      });
    }
    const rows = db.prepare("SELECT id, key FROM piece_lists").all() as unknown as {
      id: number;
      key: string;
    }[];
    for (const row of rows) this.#ids.set(row.key, row.id);
    this.#insert = db.prepare("INSERT INTO piece_lists (key, hashes) VALUES (?, ?)");
    this.#read = db.prepare("SELECT hashes FROM piece_lists WHERE id = ?");
    this.#remove = db.prepare("DELETE FROM piece_lists WHERE id = ?");
  }

  /**
   * Inserts a list in the caller's transaction, unless one is stored under its key;
   * the caller then calls {@link PieceLists.settle}.
   */
  stage(key: string, packed: Uint8Array): void {
    if (this.#ids.has(key) || this.#pending.has(key)) return;
    const { lastInsertRowid } = this.#insert.run(key, packed);
    this.#pending.set(key, Number(lastInsertRowid));
  }

  /** Ends the transaction that staged lists: they are stored if it committed, else forgotten. */
  settle(committed: boolean): void {
    if (committed) { for (const [key, id] of this.#pending) this.#ids.set(key, id); }
    this.#pending.clear();
  }

  /** Stores one list at once (in a transaction of its own), unless one is stored under its key. */
  put(key: string, packed: Uint8Array): void {
    if (this.#ids.has(key)) return;
    const { lastInsertRowid } = this.#insert.run(key, packed);
    this.#ids.set(key, Number(lastInsertRowid));
  }

  /**
   * The list stored under a key.
   * @returns its raw bytes, or undefined when none is stored
   */
  read(key: string): Uint8Array | undefined {
    const id = this.#ids.get(key);
    if (id === undefined) return undefined;
    const row = this.#read.get(id) as { hashes: Uint8Array } | undefined;
    return row?.hashes;
  }

  /** The keys of every list stored. */
  keys(): string[] {
    return [...this.#ids.keys()];
  }

  /** Deletes the lists stored under these keys, in one transaction. */
  delete(keys: readonly string[]): void {
    const ids = keys.flatMap((key) => this.#ids.get(key) ?? []);
    if (ids.length === 0) return;
    transaction(this.#db, () => {
      for (const id of ids) this.#remove.run(id);
    });
    for (const key of keys) this.#ids.delete(key);
  }
}
