/**
 * The tracker's convergent state and the pure reducer that applies ops to it.
 *
 * Why it converges: `applyOp` only merges registers. Creations keep the
 * smallest stamp (first creation wins), memberships, owners and seeds keep
 * the largest (last writer wins), closed tokens and manifests are sets. Each
 * merge is commutative, associative and idempotent, with ties broken by the
 * value itself, so the same set of ops gives the same state whatever the
 * order of delivery and however often an op arrives. Sessions end at their
 * expiry, measured against the horizon: the latest op stamp applied, a
 * maximum and so the same on every tracker that holds the same ops. An
 * expired session is not seen (views and snapshots skip it) and
 * {@link pruneSessions} drops it from memory. Peer leases are forgotten
 * the same way once the horizon is an hour past their op, the longest lease
 * an op may grant (see {@link leaseForgotten}). Conflicts between
 * concurrent ops (a group created twice, an owner leaving while their heir
 * leaves too) are resolved when the state is read, by pure functions of it
 * (state_view.ts).
 */
import type { Stamp } from "./hlc.ts";
import { MAX_PEER_LEASE_MS, type Op } from "./ops.ts";
import { summarize } from "./piece_hashes.ts";
import { addManifest } from "./state_manifests.ts";
import { peerKey } from "./peer_key.ts";
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
    closedSessions: new Map(),
    horizonMs: 0,
    groups: new Map(),
    manifests: new Map(),
    fileManifests: new Map(),
    peerLeases: new Map(),
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
  const atMs = stampMs(at);
  if (atMs > state.horizonMs) state.horizonMs = atMs;
  switch (b.type) {
    case "create_user":
      keepFirst(state.users, b.user, { stamp: at, salt: b.salt, hash: b.hash });
      return;
    case "open_session":
      if (b.expiresMs <= state.horizonMs || state.closedSessions.has(b.tokenHash)) return;
      keepFirst(state.sessions, b.tokenHash, {
        stamp: at,
        user: b.user,
        userStamp: b.userStamp,
        expiresMs: b.expiresMs,
      });
      indexToken(state, b.user, b.tokenHash);
      return;
    case "close_session":
      closeSession(state, b.tokenHash, b.expiresMs);
      return;
    case "create_group":
      createGroup(groupOf(state, b.group), at, b.owner);
      return;
    case "remove_group": {
      // An ended epoch never comes back (state_view.ts): its registers leave
      // at once, and later ops about it are ignored, so every order agrees.
      const group = groupOf(state, b.group);
      keepFirstStamp(group.removals, b.epoch, at);
      group.epochs.delete(b.epoch);
      return;
    }
    case "peer_lease":
      if (leaseForgotten(at, state.horizonMs)) return; // it could only lose to what was forgotten
      keepLast(state.peerLeases, peerKey(b.user, b.addr), {
        stamp: at,
        value: b.ttlMs === 0 ? 0 : atMs + b.ttlMs,
      });
      return;
  }
  if (state.groups.get(b.group)?.removals.has(b.epoch)) return;
  applyEpochOp(state, op);
}

// Ops about the registers of one group epoch that has not ended.
function applyEpochOp(state: TrackerState, op: Op): void {
  const b = op.body;
  const at = op.stamp;
  switch (b.type) {
    case "set_member":
      keepLast(epochOf(state, b.group, b.epoch).members, b.user, { stamp: at, value: b.status });
      return;
    case "set_owner":
      setOwner(epochOf(state, b.group, b.epoch), { stamp: at, value: b.user });
      return;
    case "share_file": {
      const summary = b.manifest === undefined ? undefined : summarize(b.manifest).summary;
      keepLast(
        seedsOf(state, b.group, b.epoch, b.name),
        b.perClient ? peerKey(b.user, b.addr) : b.user,
        {
          stamp: at,
          value: {
            active: true,
            addr: b.addr,
            ...(b.cert === undefined ? {} : { cert: b.cert }),
            fileHash: b.fileHash,
            since: b.since ?? at,
            ...(summary === undefined ? {} : { piecesKey: summary.piecesKey }),
            ...(b.partial ? { partial: true as const } : {}),
          },
        },
      );
      if (summary !== undefined) addManifest(state, summary);
      return;
    }
    case "unshare_file":
      keepLast(
        seedsOf(state, b.group, b.epoch, b.name),
        b.addr === undefined ? b.user : peerKey(b.user, b.addr),
        {
          stamp: at,
          value: { active: false },
        },
      );
      return;
  }
}

// The wall-clock part of a stamp: its first 15 digits (see hlc.ts).
function stampMs(stamp: Stamp): number {
  return Number(stamp.slice(0, 15));
}

// A closed session leaves at once; its hash stays (until it would have
// expired) only so that its open, if it arrives later, is not applied.
function closeSession(state: TrackerState, tokenHash: string, expiresMs: number): void {
  dropSession(state, tokenHash);
  if (expiresMs <= state.horizonMs) return;
  const kept = state.closedSessions.get(tokenHash);
  if (kept === undefined || expiresMs > kept) state.closedSessions.set(tokenHash, expiresMs);
}

function dropSession(state: TrackerState, tokenHash: string): void {
  const session = state.sessions.get(tokenHash);
  if (session === undefined) return;
  state.sessions.delete(tokenHash);
  const tokens = state.userTokens.get(session.user);
  tokens?.delete(tokenHash);
  if (tokens?.size === 0) state.userTokens.delete(session.user);
}

/**
 * Drops from memory the sessions, and the hashes of closed ones, that expired
 * by the horizon. What users and digests see does not change: expired
 * sessions are already invisible.
 * @param state the state to change in place
 * @returns how many entries were dropped
 */
export function pruneSessions(state: TrackerState): number {
  let dropped = 0;
  for (const tokenHash of state.sessions.keys()) dropped += pruneSession(state, tokenHash);
  for (const tokenHash of state.closedSessions.keys()) dropped += pruneSession(state, tokenHash);
  return dropped;
}

/**
 * Drops what {@link pruneSessions} would of one token hash: its session and
 * its closed hash, each only if it expired by the horizon.
 * @param state the state to change in place
 * @returns how many entries were dropped
 */
export function pruneSession(state: TrackerState, tokenHash: string): number {
  let dropped = 0;
  const session = state.sessions.get(tokenHash);
  if (session !== undefined && session.expiresMs <= state.horizonMs) {
    dropSession(state, tokenHash);
    dropped++;
  }
  const closedUntil = state.closedSessions.get(tokenHash);
  if (closedUntil !== undefined && closedUntil <= state.horizonMs) {
    state.closedSessions.delete(tokenHash);
    dropped++;
  }
  return dropped;
}

/**
 * Whether a peer lease written at `stamp` is over for good and may leave the
 * state: the horizon is past its op by more than the longest lease an op may
 * grant. Such a lease is dead on every tracker (it ended by the horizon), and
 * any op that could still arrive for it is older still, so dead as well:
 * applying it or not changes nothing anyone sees. A rule on op stamps only,
 * so every tracker forgets the same leases whenever it compacts.
 * @returns true when the lease can be forgotten
 */
export function leaseForgotten(stamp: Stamp, horizonMs: number): boolean {
  return stampMs(stamp) + MAX_PEER_LEASE_MS <= horizonMs;
}

/**
 * Drops the peer leases {@link leaseForgotten} by the horizon: of clients
 * that left, or stopped renewing, at least an hour of op time ago.
 * @param state the state to change in place
 * @returns how many were dropped
 */
export function pruneLeases(state: TrackerState): number {
  let dropped = 0;
  for (const key of state.peerLeases.keys()) if (pruneLease(state, key)) dropped++;
  return dropped;
}

/**
 * Drops one peer lease if it is {@link leaseForgotten} by the horizon.
 * @param state the state to change in place
 * @returns whether it was dropped
 */
export function pruneLease(state: TrackerState, key: string): boolean {
  const lease = state.peerLeases.get(key);
  if (lease === undefined || !leaseForgotten(lease.stamp, state.horizonMs)) return false;
  return state.peerLeases.delete(key);
}

/**
 * Adds a token hash to the user -> token hashes index (also used when loading a snapshot).
 * @param state the state whose index to extend
 */
export function indexToken(state: TrackerState, user: string, tokenHash: string): void {
  const tokens = state.userTokens.get(user);
  if (tokens === undefined) state.userTokens.set(user, new Set([tokenHash]));
  else tokens.add(tokenHash);
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
  if (group.removals.has(epochStamp)) return; // ended before its creation arrived
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
 * Merges another replica's state into this one, as if this one had applied
 * every op the other did too: each register keeps the same winner it would
 * have then (a tracker installs a peer's snapshot this way).
 * @param into the state to change in place
 * @param from the state to take in (not changed)
 */
export function mergeState(into: TrackerState, from: TrackerState): void {
  into.horizonMs = Math.max(into.horizonMs, from.horizonMs);
  for (const [name, user] of from.users) keepFirst(into.users, name, user);
  for (const [tokenHash, expiresMs] of from.closedSessions) {
    closeSession(into, tokenHash, expiresMs);
  }
  for (const [tokenHash, session] of from.sessions) {
    if (session.expiresMs <= into.horizonMs || into.closedSessions.has(tokenHash)) continue;
    keepFirst(into.sessions, tokenHash, session);
    indexToken(into, session.user, tokenHash);
  }
  for (const [name, theirs] of from.groups) {
    const group = groupOf(into, name);
    for (const [epoch, owner] of theirs.creates) {
      const creator = group.creates.get(epoch);
      if (creator === undefined || owner < creator) group.creates.set(epoch, owner);
    }
    for (const [epoch, at] of theirs.removals) {
      keepFirstStamp(group.removals, epoch, at);
      group.epochs.delete(epoch);
    }
    for (const [stamp, epoch] of theirs.epochs) {
      if (group.removals.has(stamp)) continue;
      const mine = epochRecordOf(group, stamp);
      if (epoch.owner !== undefined) setOwner(mine, epoch.owner);
      for (const [user, reg] of epoch.members) keepLast(mine.members, user, reg);
      for (const [file, seeds] of epoch.files) {
        let kept = mine.files.get(file);
        if (kept === undefined) mine.files.set(file, kept = new Map());
        for (const [user, reg] of seeds) keepLast(kept, user, reg);
      }
    }
  }
  for (const manifest of from.manifests.values()) addManifest(into, manifest);
  for (const [key, lease] of from.peerLeases) {
    if (!leaseForgotten(lease.stamp, into.horizonMs)) keepLast(into.peerLeases, key, lease);
  }
}
