/**
 * The one-time move of an older log's piece hashes out of its ops: each
 * manifest's list is packed and stored in the piece lists (piece_lists.ts),
 * and the snapshot, which an older log held the hashes in, is dropped.
 */
import type { DatabaseSync } from "node:sqlite";
import { packPieceHashes, piecesKeyOf } from "./piece_hashes.ts";
import type { PieceLists } from "./piece_lists.ts";
import { transaction } from "./sql_transaction.ts";

/** Copies every piece-hash list the ops carry into `pieces`, in one transaction. */
export function movePiecesOutOfOps(db: DatabaseSync, pieces: PieceLists): void {
  let committed = false;
  try {
    transaction(db, () => {
      const rows = db.prepare(
        `SELECT json_extract(body, '$.manifest.pieceHashes') AS hashes FROM ops
         WHERE json_extract(body, '$.manifest') IS NOT NULL`,
      ).iterate() as Iterable<{ hashes: string }>;
      for (const row of rows) {
        const packed = packPieceHashes(JSON.parse(row.hashes));
        pieces.stage(piecesKeyOf(packed), packed);
      }
      db.exec("DELETE FROM snapshot");
      db.exec("DELETE FROM snapshot_lines");
    });
    committed = true;
  } finally {
    pieces.settle(committed);
  }
}
