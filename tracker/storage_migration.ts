/**
 * Brings an op log written before tokens were hashed up to date, once, when
 * it is opened: session ops carried the token itself and snapshots of
 * version 1 held every open token. Those ops get the token's hash instead
 * (and an expiry from their own stamp, so every tracker migrates alike), an
 * old snapshot is dropped (the state is replayed from the log), and the
 * file is vacuumed and its WAL truncated, so no old page keeps a token.
 * SQLite's `user_version` then records that the log is migrated, so later
 * opens skip the scan.
 */
import type { DatabaseSync } from "node:sqlite";
import { SESSION_TTL_MS } from "./config.ts";
import { hashToken } from "./token_hash.ts";
import { transaction } from "./sql_transaction.ts";

/** The `user_version` of an op log whose session ops hold token hashes. */
const TOKENS_HASHED_VERSION = 1;

interface LegacyRow {
  origin: number;
  seq: number;
  stamp: string;
  body: string;
}

/**
 * Hashes clear tokens left in an op log by an older version.
 * @param db the open op log, with its `ops` and `snapshot` tables
 * @returns how many ops were rewritten
 */
export function hashLegacyTokens(db: DatabaseSync): number {
  const version = db.prepare("PRAGMA user_version").get() as { user_version: number };
  if (version.user_version >= TOKENS_HASHED_VERSION) return 0;
  const rows = db.prepare(
    `SELECT origin, seq, stamp, body FROM ops
     WHERE json_extract(body, '$.type') IN ('open_session', 'close_session')
       AND json_extract(body, '$.token') IS NOT NULL`,
  ).all() as unknown as LegacyRow[];
  const oldSnapshot = db.prepare(
    "SELECT 1 FROM snapshot WHERE json_extract(state, '$.version') = 1",
  ).get();
  if (rows.length === 0 && oldSnapshot === undefined) {
    db.exec(`PRAGMA user_version = ${TOKENS_HASHED_VERSION}`);
    return 0;
  }
  const update = db.prepare("UPDATE ops SET body = ? WHERE origin = ? AND seq = ?");
  db.exec("PRAGMA secure_delete = ON");
  transaction(db, () => {
    for (const row of rows) update.run(JSON.stringify(migrated(row)), row.origin, row.seq);
    db.exec("DELETE FROM snapshot");
    db.exec(`PRAGMA user_version = ${TOKENS_HASHED_VERSION}`);
  });
  db.exec("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
  return rows.length;
}

function migrated(row: LegacyRow): Record<string, unknown> {
  const { token, ...rest } = JSON.parse(row.body) as Record<string, unknown>;
  const expiresMs = Number(row.stamp.slice(0, 15)) + SESSION_TTL_MS;
  return { ...rest, tokenHash: hashToken(String(token)), expiresMs };
}
