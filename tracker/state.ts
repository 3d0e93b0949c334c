/**
 * The tracker's convergent state and the pure reducer that applies ops to it.
 *
 * Why it converges: `applyOp` only merges registers. Creations keep the
 * smallest stamp (first creation wins), memberships, owners and seeds keep
 * the largest (last writer wins), closed tokens and manifests are sets. Each
 * merge is commutative, associative and idempotent, with ties broken by the
 * value itself, so the same set of ops gives the same state whatever the
 * order of delivery and however often an op arrives. Conflicts between
 * concurrent ops (a group created twice, an owner leaving while their heir
 * leaves too) are resolved when the state is read, by pure functions of it
 * (state_view.ts).
 */
import type { Manifest } from "../protocol/manifest.ts";
import type { Stamp } from "./hlc.ts";
import type { Op } from "./ops.ts";
import type { EpochRecord, GroupRecord, Register, TrackerState } from "./state_types.ts";

export type * from "./state_types.ts";
export { digestState } from "./state_digest.ts";

/**
 * An empty state.
 * @returns a state with no users, sessions, groups or files
 */
export function createState(): TrackerState {
  return {
    users: new Map(),
    sessions: new Map(),
    closedSessions: new Set(),
    groups: new Map(),
    manifests: new Map(),
    userTokens: new Map(),
  };
}

/**
 * Applies one op. Idempotent and order-independent.
 * @param state the state to change in place
 * @param op a validated op
 */
export function applyOp(state: TrackerState, op: Op): void {
  const b = op.body;
  const at = op.stamp;
  switch (b.type) {
    case "create_user":
      keepFirst(state.users, b.user, { stamp: at, salt: b.salt, hash: b.hash });
      return;
    case "open_session":
      keepFirst(state.sessions, b.token, { stamp: at, user: b.user, userStamp: b.userStamp });
      indexToken(state, b.user, b.token);
      return;
    case "close_session":
      state.closedSessions.add(b.token);
      return;
    case "create_group":
      createGroup(groupOf(state, b.group), at, b.owner);
      return;
    case "remove_group":
      keepFirstStamp(groupOf(state, b.group).removals, b.epoch, at);
      return;
    case "set_member":
      keepLast(epochOf(state, b.group, b.epoch).members, b.user, { stamp: at, value: b.status });
      return;
    case "set_owner":
      setOwner(epochOf(state, b.group, b.epoch), { stamp: at, value: b.user });
      return;
    case "share_file":
      keepLast(seedsOf(state, b.group, b.epoch, b.name), b.user, {
        stamp: at,
        value: {
          active: true,
          addr: b.addr,
          ...(b.cert === undefined ? {} : { cert: b.cert }),
          fileHash: b.fileHash,
          since: b.since ?? at,
        },
      });
      if (b.manifest !== undefined) addManifest(state.manifests, b.manifest);
      return;
    case "unshare_file":
      keepLast(seedsOf(state, b.group, b.epoch, b.name), b.user, {
        stamp: at,
        value: { active: false },
      });
      return;
  }
}

/**
 * Adds a token to the user -> tokens index (also used when loading a snapshot).
 * @param state the state whose index to extend
 */
export function indexToken(state: TrackerState, user: string, token: string): void {
  const tokens = state.userTokens.get(user);
  if (tokens === undefined) state.userTokens.set(user, new Set([token]));
  else tokens.add(token);
}

/**
 * A canonical JSON text of a value: object keys sorted, so equal values give equal text.
 * @returns the canonical JSON
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      typeof v === "object" && v !== null && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}

function compareRecords(a: { stamp: Stamp }, b: { stamp: Stamp }): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? -1 : 1;
  const ka = canonicalJson(a);
  const kb = canonicalJson(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function keepFirst<T extends { stamp: Stamp }>(map: Map<string, T>, key: string, next: T): void {
  const current = map.get(key);
  if (current === undefined || compareRecords(next, current) < 0) map.set(key, next);
}

function keepLast<T extends { stamp: Stamp }>(map: Map<string, T>, key: string, next: T): void {
  const current = map.get(key);
  if (current === undefined || compareRecords(next, current) > 0) map.set(key, next);
}

function keepFirstStamp(map: Map<Stamp, Stamp>, key: Stamp, stamp: Stamp): void {
  const current = map.get(key);
  if (current === undefined || stamp < current) map.set(key, stamp);
}

function setOwner(epoch: EpochRecord, next: Register<string>): void {
  if (epoch.owner === undefined || compareRecords(next, epoch.owner) > 0) epoch.owner = next;
}

function createGroup(group: GroupRecord, epochStamp: Stamp, owner: string): void {
  const creator = group.creates.get(epochStamp);
  if (creator === undefined || owner < creator) group.creates.set(epochStamp, owner);
  const epoch = epochRecordOf(group, epochStamp);
  setOwner(epoch, { stamp: epochStamp, value: owner });
  keepLast(epoch.members, owner, { stamp: epochStamp, value: "member" });
}

function groupOf(state: TrackerState, name: string): GroupRecord {
  let group = state.groups.get(name);
  if (group === undefined) {
    group = { creates: new Map(), removals: new Map(), epochs: new Map() };
    state.groups.set(name, group);
  }
  return group;
}

function epochRecordOf(group: GroupRecord, epochStamp: Stamp): EpochRecord {
  let epoch = group.epochs.get(epochStamp);
  if (epoch === undefined) {
    epoch = { owner: undefined, members: new Map(), files: new Map() };
    group.epochs.set(epochStamp, epoch);
  }
  return epoch;
}

function epochOf(state: TrackerState, group: string, epochStamp: Stamp): EpochRecord {
  return epochRecordOf(groupOf(state, group), epochStamp);
}

function seedsOf(state: TrackerState, group: string, epochStamp: Stamp, name: string) {
  const files = epochOf(state, group, epochStamp).files;
  let seeds = files.get(name);
  if (seeds === undefined) {
    seeds = new Map();
    files.set(name, seeds);
  }
  return seeds;
}

/**
 * Orders two manifests of the same file hash, so a conflict keeps the same one everywhere.
 * @returns negative, zero or positive like a sort comparator
 */
export function compareManifests(a: Manifest, b: Manifest): number {
  if (a.size !== b.size) return a.size - b.size;
  if (a.pieceSize !== b.pieceSize) return a.pieceSize - b.pieceSize;
  for (let i = 0; i < a.pieceHashes.length; i++) {
    const x = a.pieceHashes[i] ?? "";
    const y = b.pieceHashes[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.pieceHashes.length - b.pieceHashes.length;
}

function addManifest(manifests: Map<string, Manifest>, manifest: Manifest): void {
  const current = manifests.get(manifest.fileHash);
  if (current === undefined || compareManifests(manifest, current) < 0) {
    manifests.set(manifest.fileHash, manifest);
  }
}
