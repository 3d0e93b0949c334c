/**
 * The tracker's durable op log and snapshots, in one SQLite file in the data
 * directory (WAL, synchronous=FULL, so a committed transaction survives
 * `kill -9` and power loss). Ops are keyed by (origin, seq): the same op can
 * never be stored twice. The log is kept whole, because peers that were away
 * catch up from it, until every peer known holds them: then the ops behind
 * the snapshot are deleted, and `log_base` records up to where, per origin
 * (a peer that needs older ops gets the snapshot instead).
 * Piece hashes of manifests are kept apart, as raw bytes under the hash of
 * those bytes (piece_hashes.ts, piece_lists.ts), written in the transaction
 * of the op that carried them and read when a download asks.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { ensurePrivateDir, preparePrivateDatabase } from "../protocol/private_files.ts";
import type { Op, RetryRecord } from "./ops.ts";
import { movePiecesOutOfOps } from "./piece_store.ts";
import { PieceLists } from "./piece_lists.ts";
import { piecesKeyOf, summarize } from "./piece_hashes.ts";
import { hashLegacyTokens } from "./storage_migration.ts";
import { renameLegacyFileIds } from "./file_id_migration.ts";
import { type SnapshotReader, SnapshotRows, type StagedSnapshot } from "./snapshot_rows.ts";
import { transaction } from "./sql_transaction.ts";
import type { VersionVector } from "./version_vector.ts";

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
  CREATE TABLE IF NOT EXISTS log_base (
    origin INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS snapshot_lines (
    n INTEGER PRIMARY KEY,
    line TEXT NOT NULL
  );
`;

interface OpRow {
  origin: number;
  seq: number;
  stamp: string;
  body: string;
  retry: string | null;
}

export { type VersionVector, vvFromObject, vvToObject } from "./version_vector.ts";
export { commitFailure } from "./commit_failure.ts";
export type { SnapshotReader, StagedSnapshot } from "./snapshot_rows.ts";

/** The SQLite op log of one tracker. */
export class OpStore {
  #db: DatabaseSync;
  #insert: StatementSync;
  #after: StatementSync;
  #pieces: PieceLists;
  #snapshots: SnapshotRows;

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
    // The latest ops with a retry record are found without a scan of the log (truncateLog).
    this.#db.exec(
      "CREATE INDEX IF NOT EXISTS ops_retry_stamp ON ops (stamp) WHERE retry IS NOT NULL",
    );
    hashLegacyTokens(this.#db); // a log from before tokens were hashed
    // A log from before file ids were hashes of piece hashes: its snapshot goes too.
    const renamed = renameLegacyFileIds(this.#db) > 0;
    if (renamed) this.#db.exec("DELETE FROM snapshot_lines");
    const hasPieces = this.#db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ('piece_hashes', 'piece_lists')",
    ).get();
    this.#pieces = new PieceLists(this.#db);
    // A log from before piece hashes left the state (or whose old ops were just renamed).
    if (hasPieces === undefined || renamed) movePiecesOutOfOps(this.#db, this.#pieces);
    this.#snapshots = new SnapshotRows(this.#db);
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
    let committed = false;
    try {
      transaction(this.#db, () => {
        for (const op of ops) {
          const retry = op.retry === undefined ? null : JSON.stringify(op.retry);
          this.#insert.run(op.origin, op.seq, op.stamp, JSON.stringify(op.body), retry);
          if (op.body.type === "share_file" && op.body.manifest !== undefined) {
            const { summary, packed } = summarize(op.body.manifest);
            this.#pieces.stage(summary.piecesKey, packed);
          }
        }
      });
      committed = true;
    } finally {
      this.#pieces.settle(committed);
    }
  }

  /**
   * Commits `bytes` of filler to check that a transaction can commit again
   * (after a full disk); the filler replaces the previous one.
   * @throws the SQLite error when it cannot
   */
  probeSpace(bytes: number): void {
    this.#db.exec("CREATE TABLE IF NOT EXISTS space_probe (slot INTEGER PRIMARY KEY, filler BLOB)");
    transaction(this.#db, () => {
      this.#db.prepare("INSERT OR REPLACE INTO space_probe VALUES (1, randomblob(?))").run(bytes);
    });
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

  /** The highest stored seq per origin (counting ops deleted behind the snapshot). */
  versionVector(): VersionVector {
    const rows = this.#db.prepare("SELECT origin, MAX(seq) AS seq FROM ops GROUP BY origin")
      .all() as unknown as { origin: number; seq: number }[];
    const vv = this.logBase();
    for (const row of rows) vv.set(row.origin, Math.max(row.seq, vv.get(row.origin) ?? 0));
    return vv;
  }

  /** Per origin, the seq up to which ops were deleted behind a snapshot. */
  logBase(): VersionVector {
    const rows = this.#db.prepare("SELECT origin, seq FROM log_base").all() as unknown as {
      origin: number;
      seq: number;
    }[];
    return new Map(rows.map((row) => [row.origin, row.seq]));
  }

  /**
   * Deletes the ops up to a seq per origin (at most `maxOps` of them), in one
   * transaction; the caller has saved a snapshot that covers them.
   * @param upTo origin -> last seq to delete
   * @param keepRetries how many of the latest ops with a retry record to keep anyway
   * @param maxOps most ops to delete now, from the start of the log
   * @returns whether ops up to `upTo` are left (when `maxOps` stopped it)
   */
  truncateLog(upTo: VersionVector, keepRetries: number, maxOps = Number.MAX_SAFE_INTEGER): boolean {
    // The latest ops that carry a retry record stay, so that a command retried after a
    // restart is still answered (see recentRetries).
    const kept = this.#db.prepare(
      "SELECT stamp FROM ops WHERE retry IS NOT NULL ORDER BY stamp DESC LIMIT 1 OFFSET ?",
    ).get(Math.max(0, keepRetries - 1)) as { stamp: string } | undefined;
    const remove = this.#db.prepare(
      "DELETE FROM ops WHERE origin = ? AND seq <= ? AND (retry IS NULL OR stamp < ?)",
    );
    const base = this.#db.prepare(
      `INSERT INTO log_base (origin, seq) VALUES (?, ?)
       ON CONFLICT (origin) DO UPDATE SET seq = MAX(seq, excluded.seq)`,
    );
    const from = this.logBase();
    let budget = maxOps;
    let more = false;
    transaction(this.#db, () => {
      for (const [origin, seq] of upTo) {
        const start = from.get(origin) ?? 0;
        if (start >= seq) continue;
        if (budget <= 0) {
          more = true;
          continue;
        }
        const end = Math.min(seq, start + budget);
        remove.run(origin, end, kept?.stamp ?? "");
        base.run(origin, end);
        budget -= end - start;
        if (end < seq) more = true;
      }
    });
    return more;
  }

  /** The latest HLC stamp in the log, if any. */
  maxStamp(): string | undefined {
    const row = this.#db.prepare("SELECT MAX(stamp) AS stamp FROM ops").get() as
      | { stamp: string | null }
      | undefined;
    return row?.stamp ?? undefined;
  }

  /**
   * The saved snapshot, its lines read from disk as they are iterated.
   * @returns the reader, or undefined when none is saved
   */
  snapshotReader(): SnapshotReader | undefined {
    return this.#snapshots.reader();
  }

  /**
   * A page of the saved snapshot, for sending it to a peer.
   * @returns the lines of the rows after `afterRow` (at most `limit` rows), and the
   *   version vector of the snapshot they belong to (it changes when a new one is saved)
   */
  snapshotPage(
    afterRow: number,
    limit: number,
  ): { lines: string[]; rows: number; versionVector: string } {
    return this.#snapshots.page(afterRow, limit);
  }

  /**
   * Starts staging a new snapshot beside the saved one (snapshot_rows.ts).
   * @returns the staged snapshot, seen only once swapped in
   */
  stageSnapshot(): StagedSnapshot {
    return this.#snapshots.stage();
  }

  /**
   * Deletes rows of snapshots older than the saved one, a few at a time.
   * @returns whether any are left
   */
  dropOldSnapshotRows(maxRows: number): boolean {
    return this.#snapshots.dropOld(maxRows);
  }

  /**
   * Stores piece hashes a peer sent, if they are what their key says.
   * @returns false when the key is not the hash of the bytes
   */
  putPieces(key: string, packed: Uint8Array): boolean {
    if (packed.length % 32 !== 0 || piecesKeyOf(packed) !== key) return false;
    this.#pieces.put(key, packed);
    return true;
  }

  /** The saved snapshot as one text (lines joined by newlines), if any. */
  loadSnapshot(): StoredSnapshot | undefined {
    const reader = this.snapshotReader();
    if (reader === undefined) return undefined;
    return { state: [...reader.lines].join("\n"), versionVector: reader.versionVector };
  }

  /**
   * Replaces the snapshot at once (the swap is one transaction), writing its lines as they come.
   * @param lines the snapshot's lines (or one text of newline-separated lines)
   */
  saveSnapshot(lines: Iterable<string> | string, versionVector: VersionVector): void {
    const staged = this.#snapshots.stage();
    staged.add(typeof lines === "string" ? lines.split("\n") : [...lines]);
    staged.swapIn(versionVector);
    while (this.#snapshots.dropOld(Number.MAX_SAFE_INTEGER));
  }

  /**
   * The piece hashes stored under a key.
   * @returns their raw bytes, 32 per piece, or undefined when none are stored
   */
  readPieces(key: string): Uint8Array | undefined {
    return this.#pieces.read(key);
  }

  /**
   * Deletes the piece hashes of every manifest the state no longer holds.
   * @param keep the pieces keys still held
   * @returns how many lists were deleted
   */
  sweepPieces(keep: ReadonlyMap<string, unknown>): number {
    const gone = this.#pieces.keys().filter((key) => !keep.has(key));
    this.#pieces.delete(gone);
    return gone.length;
  }

  /** Deletes the piece hashes stored under these keys, in one transaction. */
  deletePieces(keys: readonly string[]): void {
    this.#pieces.delete(keys);
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
