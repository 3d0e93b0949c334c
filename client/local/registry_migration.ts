/**
 * Brings a registry written when a file's id was the SHA-256 of its bytes up
 * to date, once, when it is opened: every stored manifest (of a share or a
 * download) gets the id its piece hashes give it (protocol/manifest.ts
 * `fileHashOf`), so shares are announced again, and downloads resume from
 * their `.part`, under the ids the trackers now use, without reading a file.
 * SQLite's `user_version` then records that the registry is migrated.
 */
import type { DatabaseSync } from "node:sqlite";
import { fileHashOf, type Manifest } from "../../protocol/manifest.ts";

/** The `user_version` of a registry whose manifests carry ids derived from piece hashes. */
const FILE_IDS_VERSION = 1;

/**
 * Renames old-style file ids in the `shares` and `downloads` tables.
 * @returns how many rows were rewritten
 */
export function renameRegistryFileIds(db: DatabaseSync): number {
  const version = db.prepare("PRAGMA user_version").get() as { user_version: number };
  if (version.user_version >= FILE_IDS_VERSION) return 0;
  let changed = 0;
  db.exec("BEGIN IMMEDIATE");
  try {
    for (const table of ["shares", "downloads"]) {
      const rows = db.prepare(`SELECT rowid AS id, manifest FROM ${table}`).all();
      const update = db.prepare(`UPDATE ${table} SET manifest = ? WHERE rowid = ?`);
      for (const row of rows) {
        const manifest = JSON.parse(String(row["manifest"])) as Manifest;
        const id = fileHashOf(manifest);
        if (id === manifest.fileHash) continue;
        update.run(JSON.stringify({ ...manifest, fileHash: id }), Number(row["id"]));
        changed++;
      }
    }
    db.exec(`PRAGMA user_version = ${FILE_IDS_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
  return changed;
}
