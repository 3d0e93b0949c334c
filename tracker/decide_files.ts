/**
 * File commands: share (upload metadata), stop sharing, list and download.
 * A file in a group is known by its name and content hash: sharing the same
 * name with the same content adds a seeder; different content is refused.
 */
import { AppError } from "../protocol/errors.ts";
import type { Manifest } from "../protocol/manifest.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import type { OpBody } from "./ops.ts";
import { manifestFor } from "./state_manifests.ts";
import { compareSummaries, type ManifestSummary, summarize } from "./piece_hashes.ts";
import type { TrackerState } from "./state_types.ts";
import { fileView, visibleFiles } from "./state_view.ts";
import { type Decision, requireGroup, requireMember } from "./decide_common.ts";
import { MAX_OFFERED_PEERS } from "./config.ts";

/** The fields of an upload_file request this decision reads. */
export interface ShareRequest {
  group: string;
  name: string;
  addr: string;
  /** The seeder's own TLS certificate (PEM), if it serves TLS. */
  cert?: string;
  manifest: Manifest;
}

/**
 * Shares a file: makes `user` a seeder of it. Sharing again the same content
 * only updates the address (no op at all when nothing changed).
 * @throws {AppError} NOT_FOUND, FORBIDDEN, CONFLICT when the name holds other content
 */
export function shareFile(
  state: TrackerState,
  req: ShareRequest,
  user: string,
): Decision<"upload_file"> {
  const { group, name, addr, cert, manifest } = req;
  const { fileHash } = manifest;
  const action = `share "${name}" in group "${group}"`;
  const view = requireGroup(state, group, action);
  requireMember(view, user, action);
  const file = fileView(state, view, name);
  if (file !== undefined && file.fileHash !== fileHash) {
    throw new AppError(
      "CONFLICT",
      `Cannot ${action}: a file of that name with different content is already shared ` +
        `(content ${file.fileHash.slice(0, 12)}, yours ${fileHash.slice(0, 12)})`,
    );
  }
  const known = manifestFor(state, fileHash);
  if (known !== undefined && compareSummaries(known, summarize(manifest).summary) !== 0) {
    throw new AppError(
      "CONFLICT",
      `Cannot ${action}: that content is already shared with another piece layout ` +
        `(${known.pieceSize} bytes per piece)`,
    );
  }
  const others = (file?.seeders ?? []).filter((p) => p.user !== user).length;
  const data = { group, name, fileHash, seeders: others + 1 };
  const seed = view.record.files.get(name)?.get(user)?.value;
  const same = seed !== undefined && seed.active && seed.fileHash === fileHash;
  if (same && seed.addr === addr && seed.cert === cert) return { bodies: [], data };
  const body: OpBody = { type: "share_file", group, epoch: view.epoch, name, user, addr, fileHash };
  if (cert !== undefined) body.cert = cert;
  if (same) body.since = seed.since;
  // Every share carries its manifest, so a manifest can leave the state as
  // soon as no active share refers to it (state_compaction.ts).
  body.manifest = manifest;
  return { bodies: [body], data };
}

/**
 * Stops sharing a file.
 * @throws {AppError} NOT_FOUND when the user does not share it, FORBIDDEN when not a member
 */
export function stopShare(
  state: TrackerState,
  req: { group: string; name: string },
  user: string,
): Decision<"stop_share"> {
  const { group, name } = req;
  const action = `stop sharing "${name}" in group "${group}"`;
  const view = requireGroup(state, group, action);
  requireMember(view, user, action);
  const seed = view.record.files.get(name)?.get(user)?.value;
  if (seed === undefined || !seed.active) {
    throw new AppError("NOT_FOUND", `Cannot ${action}: user "${user}" does not share it`);
  }
  return {
    bodies: [{ type: "unshare_file", group, epoch: view.epoch, name, user }],
    data: { group, name },
  };
}

/**
 * The files of a group that someone shares now; only members may list them.
 * @throws {AppError} NOT_FOUND, FORBIDDEN
 */
export function listFiles(
  state: TrackerState,
  group: string,
  user: string,
): TrackerReplies["list_files"] {
  const action = `list the files of group "${group}"`;
  const view = requireGroup(state, group, action);
  requireMember(view, user, action);
  const files = visibleFiles(state, view).map((file) => ({
    name: file.name,
    size: file.manifest?.size ?? 0,
    fileHash: file.fileHash,
    seeders: file.seeders.length,
  }));
  return { group, files };
}

/**
 * What `download_file` decides; the server adds the ticket, signed with its
 * key, and the piece hashes, read from disk.
 */
export type FileOffer = Omit<TrackerReplies["download_file"], "ticket" | "manifest"> & {
  manifest: ManifestSummary;
};

/**
 * A file's manifest and the peers sharing it now; only members may fetch it.
 * @throws {AppError} NOT_FOUND when never shared, UNAVAILABLE when nobody shares it now, FORBIDDEN
 */
export function downloadFile(
  state: TrackerState,
  req: { group: string; name: string },
  user: string,
): FileOffer {
  const { group, name } = req;
  const action = `download "${name}" from group "${group}"`;
  const view = requireGroup(state, group, action);
  requireMember(view, user, action);
  const file = fileView(state, view, name);
  if (file === undefined || file.manifest === undefined) {
    if (!view.record.files.has(name)) {
      throw new AppError("NOT_FOUND", `Cannot ${action}: no such file`);
    }
    throw new AppError("UNAVAILABLE", `Cannot ${action}: nobody is sharing it now`);
  }
  // Certificates make a seeder up to 4 KiB: a few hundred are plenty to download from.
  const peers = file.seeders.slice(0, MAX_OFFERED_PEERS);
  return { group, name, manifest: file.manifest, peers };
}
