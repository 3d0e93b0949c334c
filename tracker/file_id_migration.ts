/**
 * Brings an op log written when a file's id was the SHA-256 of its bytes up
 * to date, once, when it is opened. Ids are now derived from the manifest
 * (protocol/manifest.ts `fileHashOf`), and every manifest is in the log, so
 * the new id of each old one is computed from its piece hashes without the
 * file: each `share_file` op naming an old id gets the new one (and so does a
 * retry record's reply), and the snapshot, which holds old ids, is dropped
 * (the state is replayed from the log). Every tracker rewrites the same ops
 * alike, so a cluster whose trackers all migrate agrees again; an op that
 * names an id no manifest of the log explains is left as it is. SQLite's
 * `user_version` then records that the log is migrated.
 */
import type { DatabaseSync } from "node:sqlite";
import { fileHashOf, type Manifest } from "../protocol/manifest.ts";
import { transaction } from "./sql_transaction.ts";

/** The `user_version` of an op log whose file ids are hashes of piece hashes. */
const FILE_IDS_VERSION = 2;

interface ShareRow {
  origin: number;
  seq: number;
  body: string;
  retry: string | null;
}

/**
 * Renames old-style file ids in the op log.
 * @param db the open op log, with its `ops` and `snapshot` tables, tokens already hashed
 * @returns how many ops were rewritten
 */
export function renameLegacyFileIds(db: DatabaseSync): number {
  const version = db.prepare("PRAGMA user_version").get() as { user_version: number };
  if (version.user_version >= FILE_IDS_VERSION) return 0;
  const rows = db.prepare(
    `SELECT origin, seq, body, retry FROM ops WHERE json_extract(body, '$.type') = 'share_file'`,
  ).all() as unknown as ShareRow[];
  const renamed = new Map<string, string>();
  for (const row of rows) {
    const manifest = (JSON.parse(row.body) as { manifest?: Manifest }).manifest;
    if (manifest === undefined) continue;
    const id = fileHashOf(manifest);
    if (id !== manifest.fileHash) renamed.set(manifest.fileHash, id);
  }
  const changed = rows.flatMap((row) => {
    const body = JSON.parse(row.body) as Record<string, unknown> & { manifest?: Manifest };
    const id = renamed.get(String(body["fileHash"]));
    if (id === undefined) return [];
    body["fileHash"] = id;
    if (body.manifest !== undefined) body.manifest = { ...body.manifest, fileHash: id };
    const retry = row.retry === null ? null : JSON.parse(row.retry);
    const replyId = renamed.get(String(retry?.reply?.fileHash));
    if (replyId !== undefined) retry.reply.fileHash = replyId;
    return [{ ...row, body: JSON.stringify(body), retry: retry && JSON.stringify(retry) }];
  });
  const update = db.prepare("UPDATE ops SET body = ?, retry = ? WHERE origin = ? AND seq = ?");
  transaction(db, () => {
    for (const row of changed) update.run(row.body, row.retry, row.origin, row.seq);
    if (changed.length > 0) db.exec("DELETE FROM snapshot");
    db.exec(`PRAGMA user_version = ${FILE_IDS_VERSION}`);
  });
  return changed.length;
}
