/**
 * Piece hashes in the op log's database: packed bytes under the SHA-256 of
 * those bytes (piece_hashes.ts), saved with the op that brings them, and the
 * one-time move of an older log's hashes out of its ops.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { packPieceHashes, piecesKeyOf } from "./piece_hashes.ts";
import { transaction } from "./sql_transaction.ts";

const PIECES_SCHEMA = `
  CREATE TABLE IF NOT EXISTS piece_hashes (
    key TEXT PRIMARY KEY,
    hashes BLOB NOT NULL
  ) WITHOUT ROWID;
`;

/** Stores a packed list of piece hashes once. */
const INSERT_PIECES = "INSERT OR IGNORE INTO piece_hashes (key, hashes) VALUES (?, ?)";

/** Packs and stores one list of piece hashes. */
export function savePieces(insert: StatementSync, hashes: readonly string[]): void {
  const packed = packPieceHashes(hashes);
  insert.run(piecesKeyOf(packed), packed);
}

/**
 * Copies every piece-hash list the ops carry into the table, and drops the
 * snapshot (an older one holds the hashes in its state).
 */
export function movePiecesOutOfOps(db: DatabaseSync): void {
  transaction(db, () => {
    db.exec(PIECES_SCHEMA);
    const insert = db.prepare(INSERT_PIECES);
    const rows = db.prepare(
      `SELECT json_extract(body, '$.manifest.pieceHashes') AS hashes FROM ops
       WHERE json_extract(body, '$.manifest') IS NOT NULL`,
    ).iterate() as Iterable<{ hashes: string }>;
    for (const row of rows) savePieces(insert, JSON.parse(row.hashes));
    db.exec("DELETE FROM snapshot");
    db.exec("DELETE FROM snapshot_lines");
  });
}
