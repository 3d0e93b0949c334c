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
import { fileView, seedActive, sharedBy, visibleFiles } from "./state_view.ts";
import { peerKey } from "./peer_key.ts";
import { renewLease } from "./decide_peers.ts";
import { PEER_LEASE_MS } from "./config.ts";
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
  /** A download in progress: the client holds some pieces. */
  partial?: true;
}

/** The tracker's clock and lease length, for peer liveness. */
export interface LeaseClock {
  /** The tracker's clock (0: the state's horizon). */
  nowMs: number;
  ttlMs: number;
}

/**
 * Shares a file: makes the client of `user` at `addr` a peer of it, a full
 * seeder or (with `partial`) a downloader that holds some pieces. Sharing
 * again the same content from the same client writes nothing but, when due,
 * a lease renewal.
 * @throws {AppError} NOT_FOUND, FORBIDDEN, CONFLICT when the name holds other content
 */
export function shareFile(
  state: TrackerState,
  req: ShareRequest,
  user: string,
  clock: LeaseClock = { nowMs: 0, ttlMs: PEER_LEASE_MS },
): Decision<"upload_file"> {
  const { group, name, addr, cert, manifest } = req;
  const partial = req.partial === true;
  const { fileHash } = manifest;
  const action = `share "${name}" in group "${group}"`;
  const view = requireGroup(state, group, action);
  requireMember(view, user, action);
  const file = fileView(state, view, name, clock.nowMs);
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
  const others =
    (file?.seeders ?? []).filter((p) => !p.partial && !(p.user === user && p.addr === addr))
      .length;
  const data = { group, name, fileHash, seeders: others + (partial ? 0 : 1) };
  const lease = renewLease(state, user, addr, clock);
  const seeds = view.record.files.get(name);
  const key = peerKey(user, addr);
  const reg = seeds?.get(key);
  const seed = reg?.value;
  // A seed that a later unshare of the whole user ended must be written again.
  const live = seeds !== undefined && reg !== undefined && seedActive(seeds, key, reg);
  const same = live && seed !== undefined && seed.active && seed.fileHash === fileHash;
  if (same && seed.cert === cert && (seed.partial === true) === partial) {
    return { bodies: lease, data };
  }
  const body: OpBody = {
    type: "share_file",
    group,
    epoch: view.epoch,
    name,
    user,
    addr,
    fileHash,
    perClient: true,
  };
  if (cert !== undefined) body.cert = cert;
  if (partial) body.partial = true;
  if (same) body.since = seed.since;
  // Every share carries its manifest, so a manifest can leave the state as
  // soon as no active share refers to it (state_compaction.ts).
  body.manifest = manifest;
  return { bodies: [body, ...lease], data };
}

/**
 * Stops sharing a file: from the client at `addr`, or from every client of the user.
 * @throws {AppError} NOT_FOUND when the user (client) does not share it, FORBIDDEN when not a member
 */
export function stopShare(
  state: TrackerState,
  req: { group: string; name: string; addr?: string },
  user: string,
): Decision<"stop_share"> {
  const { group, name, addr } = req;
  const action = `stop sharing "${name}" in group "${group}"`;
  const view = requireGroup(state, group, action);
  requireMember(view, user, action);
  const seeds = view.record.files.get(name);
  const data = { group, name };
  const epoch = view.epoch;
  if (addr === undefined) {
    if (!sharedBy(view.record, user).includes(name)) {
      throw new AppError("NOT_FOUND", `Cannot ${action}: user "${user}" does not share it`);
    }
    return { bodies: [{ type: "unshare_file", group, epoch, name, user }], data };
  }
  const own = seeds?.get(peerKey(user, addr))?.value;
  const legacy = seeds?.get(user)?.value;
  const bodies: OpBody[] = [];
  if (own?.active) bodies.push({ type: "unshare_file", group, epoch, name, user, addr });
  // A seed an older tracker kept per user, at this client's address, is this client's too.
  if (legacy?.active && legacy.addr === addr) {
    bodies.push({ type: "unshare_file", group, epoch, name, user });
  }
  if (bodies.length === 0) {
    throw new AppError("NOT_FOUND", `Cannot ${action}: this client of "${user}" does not share it`);
  }
  return { bodies, data };
}

/**
 * The files of a group that someone shares now; only members may list them.
 * @throws {AppError} NOT_FOUND, FORBIDDEN
 */
export function listFiles(
  state: TrackerState,
  group: string,
  user: string,
  nowMs = 0,
): TrackerReplies["list_files"] {
  const action = `list the files of group "${group}"`;
  const view = requireGroup(state, group, action);
  requireMember(view, user, action);
  const files = visibleFiles(state, view, nowMs).map((file) => ({
    name: file.name,
    size: file.manifest?.size ?? 0,
    fileHash: file.fileHash,
    seeders: file.seeders.filter((p) => !p.partial).length,
    partials: file.seeders.filter((p) => p.partial).length,
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
 * A file's manifest and its live peers, full seeders first, then partial
 * peers (marked); only members may fetch it.
 * @throws {AppError} NOT_FOUND when never shared, UNAVAILABLE when no live peer holds it, FORBIDDEN
 */
export function downloadFile(
  state: TrackerState,
  req: { group: string; name: string },
  user: string,
  nowMs = 0,
): FileOffer {
  const { group, name } = req;
  const action = `download "${name}" from group "${group}"`;
  const view = requireGroup(state, group, action);
  requireMember(view, user, action);
  const file = fileView(state, view, name, nowMs);
  if (file === undefined || file.manifest === undefined || file.seeders.length === 0) {
    if (!view.record.files.has(name)) {
      throw new AppError("NOT_FOUND", `Cannot ${action}: no such file`);
    }
    throw new AppError("UNAVAILABLE", `Cannot ${action}: nobody is sharing it now`);
  }
  // Certificates make a seeder up to 4 KiB: a few hundred are plenty to download from.
  const peers = file.seeders.slice(0, MAX_OFFERED_PEERS);
  return { group, name, manifest: file.manifest, peers };
}
