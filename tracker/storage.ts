/**
 * The tracker's durable op log and snapshots, in one SQLite file in the data
 * directory (WAL, synchronous=FULL, so a committed transaction survives
 * `kill -9` and power loss). Ops are keyed by (origin, seq): the same op can
 * never be stored twice. The log is kept whole, because peers that were away
 * catch up from it; the snapshot only saves replaying it all at startup.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { ensurePrivateDir, preparePrivateDatabase } from "../protocol/private_files.ts";
import type { Op, RetryRecord } from "./ops.ts";
import { hashLegacyTokens } from "./storage_migration.ts";
import { renameLegacyFileIds } from "./file_id_migration.ts";

/** Highest contiguous seq held per origin. */
export type VersionVector = Map<number, number>;

/** A saved state and the version vector it covers. */
export interface StoredSnapshot {
  state: string;
  versionVector: VersionVector;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS ops (
    origin INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    stamp TEXT NOT NULL,
    body TEXT NOT NULL,
    retry TEXT,
    PRIMARY KEY (origin, seq)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS snapshot (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    state TEXT NOT NULL,
    version_vector TEXT NOT NULL
  );
`;

interface OpRow {
  origin: number;
  seq: number;
  stamp: string;
  body: string;
  retry: string | null;
}

/** Converts a version vector to a JSON-friendly object keyed by origin. */
export function vvToObject(vv: VersionVector): Record<string, number> {
  return Object.fromEntries([...vv].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v]));
}

/** Reads a version vector from its JSON object form, skipping malformed entries. */
export function vvFromObject(raw: Record<string, unknown>): VersionVector {
  const vv: VersionVector = new Map();
  for (const [key, value] of Object.entries(raw)) {
    const origin = Number(key);
    if (Number.isSafeInteger(origin) && Number.isSafeInteger(value) && (value as number) > 0) {
      vv.set(origin, value as number);
    }
  }
  return vv;
}

/**
 * Says why a commit failed, naming a full disk as such.
 * @param error what SQLite threw
 * @returns e.g. "the disk is full (SQLite: database or disk is full)"
 */
export function commitFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const full = /disk is full|SQLITE_FULL|no space left/i.test(message);
  return `${full ? "the disk is full" : "the op log cannot be written"} (SQLite: ${message})`;
}

/** The SQLite op log of one tracker. */
export class OpStore {
  #db: DatabaseSync;
  #insert: StatementSync;
  #after: StatementSync;

  /**
   * Opens (or creates) `tracker.db` in `dataDir`; the directory is 0700 and
   * the database, its WAL and SHM files 0600.
   * @param dataDir the directory, created if missing
   */
  constructor(dataDir: string) {
    ensurePrivateDir(dataDir);
    preparePrivateDatabase(`${dataDir}/tracker.db`);
    this.#db = new DatabaseSync(`${dataDir}/tracker.db`);
    this.#db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    this.#db.exec(SCHEMA);
    const columns = this.#db.prepare("SELECT name FROM pragma_table_info('ops')").all();
    if (!columns.some((c) => c["name"] === "retry")) {
      this.#db.exec("ALTER TABLE ops ADD COLUMN retry TEXT"); // a log from before retry ids
    }
    hashLegacyTokens(this.#db); // a log from before tokens were hashed
    renameLegacyFileIds(this.#db); // a log from before file ids were hashes of piece hashes
    this.#insert = this.#db.prepare(
      "INSERT OR IGNORE INTO ops (origin, seq, stamp, body, retry) VALUES (?, ?, ?, ?, ?)",
    );
    this.#after = this.#db.prepare(
      "SELECT origin, seq, stamp, body, retry FROM ops WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
    );
  }

  /**
   * Writes ops in one transaction; returns once it is durable.
   * @param ops ops not yet stored (duplicates are ignored)
   * @throws the SQLite error when the transaction cannot commit (it is rolled back)
   */
  append(ops: readonly Op[]): void {
    this.#transaction(() => {
      for (const op of ops) {
        const retry = op.retry === undefined ? null : JSON.stringify(op.retry);
        this.#insert.run(op.origin, op.seq, op.stamp, JSON.stringify(op.body), retry);
      }
    });
  }

  /**
   * Commits `bytes` of filler to check that a transaction can commit again
   * (after a full disk); the filler replaces the previous one.
   * @throws the SQLite error when it cannot
   */
  probeSpace(bytes: number): void {
    this.#db.exec("CREATE TABLE IF NOT EXISTS space_probe (slot INTEGER PRIMARY KEY, filler BLOB)");
    this.#transaction(() => {
      this.#db.prepare("INSERT OR REPLACE INTO space_probe VALUES (1, randomblob(?))").run(bytes);
    });
  }

  #transaction(body: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      body();
      this.#db.exec("COMMIT");
    } catch (error) {
      // SQLite rolls back by itself after some errors (SQLITE_FULL among
      // them); a second ROLLBACK would fail and hide the real error.
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /**
   * Reads stored ops of one origin after a seq, in seq order.
   * @returns at most `limit` ops
   */
  readAfter(origin: number, afterSeq: number, limit: number): Op[] {
    const rows = this.#after.all(origin, afterSeq, limit) as unknown as OpRow[];
    return rows.map((row) => {
      const op: Op = {
        origin: row.origin,
        seq: row.seq,
        stamp: row.stamp,
        body: JSON.parse(row.body),
      };
      if (row.retry !== null) op.retry = JSON.parse(row.retry);
      return op;
    });
  }

  /**
   * The retry records of the latest ops that carry one, oldest first.
   * @returns at most `limit` records
   */
  recentRetries(limit: number): RetryRecord[] {
    const rows = this.#db.prepare(
      "SELECT retry FROM ops WHERE retry IS NOT NULL ORDER BY stamp DESC LIMIT ?",
    ).all(limit) as unknown as { retry: string }[];
    return rows.reverse().map((row) => JSON.parse(row.retry));
  }

  /** The highest stored seq per origin. */
  versionVector(): VersionVector {
    const rows = this.#db.prepare("SELECT origin, MAX(seq) AS seq FROM ops GROUP BY origin")
      .all() as unknown as { origin: number; seq: number }[];
    return new Map(rows.map((row) => [row.origin, row.seq]));
  }

  /** The latest HLC stamp in the log, if any. */
  maxStamp(): string | undefined {
    const row = this.#db.prepare("SELECT MAX(stamp) AS stamp FROM ops").get() as
      | { stamp: string | null }
      | undefined;
    return row?.stamp ?? undefined;
  }

  /** The saved snapshot, if any. */
  loadSnapshot(): StoredSnapshot | undefined {
    const row = this.#db.prepare("SELECT state, version_vector FROM snapshot WHERE slot = 1")
      .get() as { state: string; version_vector: string } | undefined;
    if (row === undefined) return undefined;
    return { state: row.state, versionVector: vvFromObject(JSON.parse(row.version_vector)) };
  }

  /** Replaces the snapshot. */
  saveSnapshot(state: string, versionVector: VersionVector): void {
    this.#db.prepare(
      "INSERT OR REPLACE INTO snapshot (slot, state, version_vector) VALUES (1, ?, ?)",
    ).run(state, JSON.stringify(vvToObject(versionVector)));
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
