/**
 * What users see, derived from the merged registers by pure functions, so
 * every tracker holding the same ops reads the same answer:
 *
 * - a session is valid while its token is not closed and its user's winning
 *   creation is the one it was opened for;
 * - a group's current epoch is found by walking its creations in stamp order:
 *   the first creation is current until removed; after that, the first
 *   creation stamped after the removal. Creations made while an earlier epoch
 *   was alive lost the race and stay invisible;
 * - a group with no member is not there; its owner is the owner register
 *   while that user is a member, else the member who joined first (then by
 *   name), so concurrent leaves never leave a group ownerless;
 * - a peer (a client: user and address) is listed while its seed is active,
 *   its user a member and its lease live (see peer_key.ts); a file's
 *   content is the file hash shared the longest (smallest `since`), and
 *   seeds of any other content are ignored. (Leaving a group and closing a
 *   user's last session write `unshare_file` ops, so an old seed never comes
 *   back to life and displaces content shared since.)
 */
import type { ManifestSummary } from "./piece_hashes.ts";
import type { PeerInfo } from "../protocol/tracker_messages.ts";
import type { Stamp } from "./hlc.ts";
import type { MemberStatus } from "./ops.ts";
import type { EpochRecord, GroupRecord, Register, Seed, TrackerState } from "./state_types.ts";
import { manifestFor } from "./state_manifests.ts";
import { peerKey, userOfKey } from "./peer_key.ts";

/**
 * The user a session belongs to.
 * @param tokenHash the hash of the session's token
 * @param nowMs the reader's clock: a session past its expiry is over even
 *   before an op stamped later arrives (0: only the state's horizon counts)
 * @returns the user name, or undefined when the session is unknown, closed, expired or stale
 */
export function sessionOwner(
  state: TrackerState,
  tokenHash: string,
  nowMs = 0,
): string | undefined {
  const session = state.sessions.get(tokenHash);
  if (session === undefined || state.closedSessions.has(tokenHash)) return undefined;
  if (session.expiresMs <= Math.max(nowMs, state.horizonMs)) return undefined;
  const user = state.users.get(session.user);
  return user !== undefined && user.stamp === session.userStamp ? session.user : undefined;
}

/**
 * Tells whether a user has a valid session other than `except`.
 * @param except the hash of the token to leave out
 * @param nowMs the reader's clock, as in {@link sessionOwner}
 * @returns true when some session of `user` but `except` is valid
 */
export function hasOtherSession(
  state: TrackerState,
  user: string,
  options: { except: string; nowMs: number },
): boolean {
  for (const tokenHash of state.userTokens.get(user) ?? []) {
    if (tokenHash === options.except) continue;
    if (sessionOwner(state, tokenHash, options.nowMs) === user) return true;
  }
  return false;
}

/**
 * The names of the files a user shares in a group epoch, sorted.
 * @returns the file names whose seed of `user` is active
 */
export function sharedBy(record: EpochRecord, user: string): string[] {
  const names: string[] = [];
  for (const [name, seeds] of record.files) {
    for (const [key, reg] of seeds) {
      if (seedActive(seeds, key, reg) && userOfKey(key) === user) {
        names.push(name);
        break;
      }
    }
  }
  return names.sort();
}

/**
 * Tells whether a seed is active: its own register says so, and no unshare of
 * the whole user (leave, last logout, an older tracker's stop) came after it.
 * @returns true when the seed at `key` counts
 */
export function seedActive(
  seeds: Map<string, Register<Seed>>,
  key: string,
  reg: Register<Seed>,
): boolean {
  if (!reg.value.active) return false;
  const user = userOfKey(key);
  const userWide = key === user ? undefined : seeds.get(user);
  return userWide === undefined || userWide.value.active || userWide.stamp < reg.stamp;
}

/**
 * The current epoch of a group name.
 * @returns the epoch stamp, or undefined when no creation is current
 */
export function currentEpoch(group: GroupRecord): Stamp | undefined {
  const epochs = [...group.creates.keys()].sort();
  let i = 0;
  while (i < epochs.length) {
    const epoch = epochs[i] as Stamp;
    const removedAt = group.removals.get(epoch);
    if (removedAt === undefined) return epoch;
    const after = removedAt > epoch ? removedAt : epoch;
    while (i < epochs.length && (epochs[i] as Stamp) <= after) i++;
  }
  return undefined;
}

/** A visible group, as derived from its current epoch. */
export interface GroupView {
  name: string;
  epoch: Stamp;
  record: EpochRecord;
  owner: string;
  /** Members, sorted by name. */
  members: string[];
  /** Users with a pending request, sorted by name. */
  pending: string[];
}

/**
 * A group as users see it.
 * @returns the view, or undefined when the group has no current epoch or no member
 */
export function groupView(state: TrackerState, name: string): GroupView | undefined {
  const group = state.groups.get(name);
  const epoch = group === undefined ? undefined : currentEpoch(group);
  const record = epoch === undefined ? undefined : group?.epochs.get(epoch);
  if (epoch === undefined || record === undefined) return undefined;
  const members = usersWith(record, "member");
  if (members.length === 0) return undefined;
  const owner = record.owner;
  const ownerName = owner !== undefined && members.includes(owner.value)
    ? owner.value
    : heirOf(record, undefined) as string;
  return { name, epoch, record, owner: ownerName, members, pending: usersWith(record, "pending") };
}

/**
 * Every visible group, sorted by name.
 * @returns the group views
 */
export function visibleGroups(state: TrackerState): GroupView[] {
  const views: GroupView[] = [];
  for (const name of [...state.groups.keys()].sort()) {
    const view = groupView(state, name);
    if (view !== undefined) views.push(view);
  }
  return views;
}

/**
 * A user's membership status in a group epoch.
 * @returns the status, or undefined when the user never asked to join
 */
export function memberStatus(view: GroupView, user: string): MemberStatus | undefined {
  return view.record.members.get(user)?.value;
}

/**
 * The member who would own a group after `leaving` left: the earliest member, then by name.
 * @returns the heir's name, or undefined when no other member remains
 */
export function heirOf(record: EpochRecord, leaving: string | undefined): string | undefined {
  let best: { user: string; stamp: Stamp } | undefined;
  for (const [user, reg] of record.members) {
    if (reg.value !== "member" || user === leaving) continue;
    if (
      best === undefined || reg.stamp < best.stamp || (reg.stamp === best.stamp && user < best.user)
    ) best = { user, stamp: reg.stamp };
  }
  return best?.user;
}

function usersWith(record: EpochRecord, status: MemberStatus): string[] {
  const users: string[] = [];
  for (const [user, reg] of record.members) if (reg.value === status) users.push(user);
  return users.sort();
}

/** A file as users see it. */
export interface FileView {
  name: string;
  fileHash: string;
  /** Undefined while the op carrying it has not arrived. */
  manifest: ManifestSummary | undefined;
  /** Live peers of the winning content, full seeders first, each group sorted by user then address. */
  seeders: PeerInfo[];
  /** When its earliest seeder began sharing this content. */
  since: Stamp;
}

/**
 * Tells whether a client's lease runs past the reader's clock (or the
 * state's horizon, whichever is later), like a session's expiry.
 * @returns true while the client at `addr` counts as live
 */
export function leaseLive(state: TrackerState, user: string, addr: string, nowMs = 0): boolean {
  const lease = state.peerLeases.get(peerKey(user, addr));
  return lease !== undefined && lease.value > Math.max(nowMs, state.horizonMs);
}

/**
 * A file of a visible group. Its content is decided by every active seed,
 * live or not, so a peer going offline never changes what the name means;
 * only live peers are listed.
 * @param nowMs the reader's clock for peer leases (0: only the horizon)
 * @returns the view, or undefined when no member shares it
 */
export function fileView(
  state: TrackerState,
  view: GroupView,
  name: string,
  nowMs = 0,
): FileView | undefined {
  const seeds = view.record.files.get(name);
  if (seeds === undefined) return undefined;
  let win: { fileHash: string; since: Stamp } | undefined;
  const active: Array<PeerInfo & { fileHash: string }> = [];
  // The manifest each active share's op carried, by content (live or not).
  const keysOf = new Map<string, Set<string> | undefined>();
  for (const [key, reg] of seeds) {
    const seed = reg.value;
    const user = userOfKey(key);
    if (!seed.active || !seedActive(seeds, key, reg)) continue;
    if (memberStatus(view, user) !== "member") continue;
    const keys = keysOf.has(seed.fileHash) ? keysOf.get(seed.fileHash) : new Set<string>();
    // One share from before shares carried their manifest: any of the file's will do.
    keysOf.set(seed.fileHash, seed.piecesKey === undefined ? undefined : keys?.add(seed.piecesKey));
    if (
      win === undefined || seed.since < win.since ||
      (seed.since === win.since && seed.fileHash < win.fileHash)
    ) win = { fileHash: seed.fileHash, since: seed.since };
    if (!leaseLive(state, user, seed.addr, nowMs)) continue;
    const cert = seed.cert === undefined ? {} : { cert: seed.cert };
    const partial = seed.partial ? { partial: true } : {};
    active.push({ user, addr: seed.addr, ...cert, ...partial, fileHash: seed.fileHash });
  }
  if (win === undefined) return undefined;
  const fileHash = win.fileHash;
  // One client may be listed under an old per-user key and its own key: once.
  const byAddr = new Map<string, PeerInfo>();
  for (const p of active) {
    if (p.fileHash !== fileHash) continue;
    const { fileHash: _, ...peer } = p;
    const seen = byAddr.get(`${p.user} ${p.addr}`);
    if (seen === undefined || (seen.partial && !peer.partial)) {
      byAddr.set(`${p.user} ${p.addr}`, peer);
    }
  }
  const seeders = [...byAddr.values()].sort((a, b) =>
    (a.partial ? 1 : 0) - (b.partial ? 1 : 0) ||
    (a.user < b.user ? -1 : a.user > b.user ? 1 : a.addr < b.addr ? -1 : 1)
  );
  const manifest = manifestFor(state, fileHash, keysOf.get(fileHash));
  return { name, fileHash, manifest, seeders, since: win.since };
}

/**
 * Every file of a visible group that has a seeder and a manifest, sorted by name.
 * @param nowMs the reader's clock for peer leases (0: only the horizon)
 * @returns the file views
 */
export function visibleFiles(state: TrackerState, view: GroupView, nowMs = 0): FileView[] {
  const files: FileView[] = [];
  for (const name of [...view.record.files.keys()].sort()) {
    const file = fileView(state, view, name, nowMs);
    if (file !== undefined && file.manifest !== undefined) files.push(file);
  }
  return files;
}
