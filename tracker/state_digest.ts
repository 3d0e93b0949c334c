/**
 * A fingerprint of what users can see of a tracker's state, so two trackers
 * can be compared directly: equal digests mean equal users, credentials,
 * sessions, groups, owners, members, requests, files, seeders and manifests.
 */
import { createHash } from "node:crypto";
import type { TrackerState } from "./state_types.ts";
import { sessionOwner, visibleFiles, visibleGroups } from "./state_view.ts";

const DIGEST_CHUNK_CHARS = 64 * 1024;

/**
 * Digests the visible state in a canonical order (sorted by name everywhere).
 * @param state the state
 * @returns the lowercase hex SHA-256 of the canonical serialization
 */
export function digestState(state: TrackerState): string {
  const hash = createHash("sha256");
  // Lines are hashed in chunks: one update() per line cost more than the
  // rest of the digest on a 100,000-group state. Same bytes, same digest.
  let chunk = "";
  const put = (part: unknown) => {
    chunk += JSON.stringify(part) + "\n";
    if (chunk.length >= DIGEST_CHUNK_CHARS) {
      hash.update(chunk);
      chunk = "";
    }
  };
  for (const name of [...state.users.keys()].sort()) {
    const user = state.users.get(name);
    if (user !== undefined) put(["user", name, user.stamp, user.salt, user.hash]);
  }
  for (const tokenHash of [...state.sessions.keys()].sort()) {
    const user = sessionOwner(state, tokenHash);
    if (user !== undefined) put(["session", tokenHash, user]);
  }
  for (const group of visibleGroups(state)) {
    put(["group", group.name, group.epoch, group.owner, group.members, group.pending]);
    for (const file of visibleFiles(state, group)) {
      put(["file", file.name, file.fileHash, file.since, file.seeders]);
      const m = file.manifest;
      if (m !== undefined) {
        put(["manifest", m.fileHash, m.size, m.pieceSize, m.pieces, m.piecesKey]);
      }
    }
  }
  hash.update(chunk);
  return hash.digest("hex");
}
