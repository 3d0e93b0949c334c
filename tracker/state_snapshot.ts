/**
 * Snapshots of the tracker state as JSON text, with every map written in
 * sorted key order: the same state always gives the same text. Sessions are
 * written as token hashes, and only while neither closed nor expired.
 */
import { AppError } from "../protocol/errors.ts";
import type { Manifest } from "../protocol/manifest.ts";
import type { Stamp } from "./hlc.ts";
import type { MemberStatus } from "./ops.ts";
import { createState, indexToken } from "./state.ts";
import type {
  EpochRecord,
  GroupRecord,
  Register,
  Seed,
  SessionRecord,
  TrackerState,
  UserRecord,
} from "./state_types.ts";

// 2: token hashes, session expiry and the horizon. 3: peer leases.
const SNAPSHOT_VERSION = 3;

type Entries<T> = Array<[string, T]>;

interface EpochJson {
  owner: Register<string> | null;
  members: Entries<Register<MemberStatus>>;
  files: Entries<Entries<Register<Seed>>>;
}

interface GroupJson {
  creates: Entries<string>;
  removals: Entries<Stamp>;
  epochs: Entries<EpochJson>;
}

interface SnapshotJson {
  version: number;
  users: Entries<UserRecord>;
  sessions: Entries<SessionRecord>;
  closedSessions: Entries<number>;
  horizonMs: number;
  groups: Entries<GroupJson>;
  manifests: Entries<Manifest>;
  /** Absent in version 2. */
  peerLeases?: Entries<Register<number>>;
}

function sorted<T, U>(map: Map<string, T>, f: (value: T) => U): Entries<U> {
  return [...map.keys()].sort().map((key) => [key, f(map.get(key) as T)]);
}

function epochJson(epoch: EpochRecord): EpochJson {
  return {
    owner: epoch.owner ?? null,
    members: sorted(epoch.members, (r) => r),
    files: sorted(epoch.files, (seeds) => sorted(seeds, (r) => r)),
  };
}

function groupJson(group: GroupRecord): GroupJson {
  return {
    creates: sorted(group.creates, (c) => c),
    removals: sorted(group.removals, (r) => r),
    epochs: sorted(group.epochs, epochJson),
  };
}

/**
 * Writes a snapshot of the state.
 * @param state the state
 * @returns JSON text that {@link deserializeState} reads back
 */
export function serializeState(state: TrackerState): string {
  const snapshot: SnapshotJson = {
    version: SNAPSHOT_VERSION,
    users: sorted(state.users, (u) => u),
    sessions: sorted(state.sessions, (s) => s)
      .filter(([, s]) => s.expiresMs > state.horizonMs),
    closedSessions: sorted(state.closedSessions, (expiresMs) => expiresMs)
      .filter(([, expiresMs]) => expiresMs > state.horizonMs),
    horizonMs: state.horizonMs,
    groups: sorted(state.groups, groupJson),
    manifests: sorted(state.manifests, (m) => m),
    peerLeases: sorted(state.peerLeases, (r) => r),
  };
  return JSON.stringify(snapshot);
}

function toMap<T, U>(entries: Entries<T>, f: (value: T) => U): Map<string, U> {
  if (!Array.isArray(entries)) throw new TypeError("entries must be a list");
  return new Map(entries.map(([key, value]) => [key, f(value)]));
}

function epochFrom(json: EpochJson): EpochRecord {
  return {
    owner: json.owner ?? undefined,
    members: toMap(json.members, (r) => r),
    files: toMap(json.files, (seeds) => toMap(seeds, (r) => r)),
  };
}

function groupFrom(json: GroupJson): GroupRecord {
  return {
    creates: toMap(json.creates, (c) => c),
    removals: toMap(json.removals, (r) => r),
    epochs: toMap(json.epochs, epochFrom),
  };
}

/**
 * Reads a snapshot written by {@link serializeState}.
 * @param text the snapshot's JSON text
 * @returns the state it holds
 * @throws {AppError} BAD_REQUEST when the text is not a snapshot of this version
 */
export function deserializeState(text: string): TrackerState {
  try {
    const json = JSON.parse(text) as SnapshotJson;
    if (json.version !== SNAPSHOT_VERSION && json.version !== 2) {
      throw new TypeError("unknown snapshot version");
    }
    const state = createState();
    state.users = toMap(json.users, (u) => u);
    state.sessions = toMap(json.sessions, (s) => s);
    state.closedSessions = toMap(json.closedSessions, (expiresMs) => expiresMs);
    if (!Number.isSafeInteger(json.horizonMs)) throw new TypeError("horizonMs");
    state.horizonMs = json.horizonMs;
    state.groups = toMap(json.groups, groupFrom);
    state.manifests = toMap(json.manifests, (m) => m);
    state.peerLeases = toMap(json.peerLeases ?? [], (r) => r);
    for (const [tokenHash, session] of state.sessions) indexToken(state, session.user, tokenHash);
    return state;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new AppError("BAD_REQUEST", `Cannot read the state snapshot: ${why}`);
  }
}
