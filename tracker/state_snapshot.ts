/**
 * Snapshots of the tracker state as JSON lines: a header, then one line per
 * user, session, group and manifest, every map in sorted key order, so the
 * same state always gives the same lines and no one string holds them all. Sessions are
 * written as token hashes, and only while neither closed nor expired; peer
 * leases until they are forgotten (state.ts).
 * Manifests are written without their piece hashes, which stay on disk.
 */
import { AppError } from "../protocol/errors.ts";
import type { Stamp } from "./hlc.ts";
import type { MemberStatus } from "./ops.ts";
import type { ManifestSummary } from "./piece_hashes.ts";
import { createState, indexToken, leaseForgotten } from "./state.ts";
import { addManifest } from "./state_manifests.ts";
import { SLICED_SNAPSHOT_VERSION } from "./snapshot_cursor.ts";
import type {
  EpochRecord,
  GroupRecord,
  Register,
  Seed,
  SessionRecord,
  TrackerState,
  UserRecord,
} from "./state_types.ts";

// 2: token hashes, session expiry and the horizon. 3: lines; manifests without piece hashes; peer leases.
// 4 (snapshot_cursor.ts): also member and file lines apart from their group's line.
const SNAPSHOT_VERSION = 3;
const READABLE_VERSIONS = [SNAPSHOT_VERSION, SLICED_SNAPSHOT_VERSION];

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

/** The first line of a snapshot. */
interface HeaderJson {
  version: number;
  horizonMs: number;
}

/** One record line after the header. */
type RecordJson =
  | ["user", string, UserRecord]
  | ["session", string, SessionRecord]
  | ["closed", string, number]
  | ["group", string, GroupJson]
  | ["manifest", string, ManifestSummary]
  | ["lease", string, Register<number>]
  | ["member", string, Stamp, string, Register<MemberStatus>]
  | ["file", string, Stamp, string, Entries<Register<Seed>>];

/**
 * Writes the state as lines, one record each, keys sorted: the canonical
 * form two states are compared by. Trackers save their snapshots in the
 * sliced format instead (snapshot_cursor.ts); both are read back here.
 * @param state the state
 * @returns JSON lines that {@link stateFromLines} reads back
 */
export function* snapshotLines(state: TrackerState): Generator<string> {
  const header: HeaderJson = { version: SNAPSHOT_VERSION, horizonMs: state.horizonMs };
  yield JSON.stringify(header);
  const line = (record: RecordJson) => JSON.stringify(record);
  for (const name of sortedKeys(state.users)) yield line(["user", name, state.users.get(name)!]);
  for (const key of sortedKeys(state.sessions)) {
    const session = state.sessions.get(key)!;
    if (session.expiresMs > state.horizonMs) yield line(["session", key, session]);
  }
  for (const key of sortedKeys(state.closedSessions)) {
    const expiresMs = state.closedSessions.get(key)!;
    if (expiresMs > state.horizonMs) yield line(["closed", key, expiresMs]);
  }
  for (const name of sortedKeys(state.groups)) {
    yield line(["group", name, groupJson(state.groups.get(name)!)]);
  }
  for (const key of sortedKeys(state.manifests)) {
    yield line(["manifest", key, state.manifests.get(key)!]);
  }
  for (const key of sortedKeys(state.peerLeases)) {
    const lease = state.peerLeases.get(key)!;
    if (!leaseForgotten(lease.stamp, state.horizonMs)) yield line(["lease", key, lease]);
  }
}

/**
 * Writes a snapshot of the state as one text (for tests and small states).
 * @returns the lines of {@link snapshotLines}, joined by newlines
 */
export function serializeState(state: TrackerState): string {
  return [...snapshotLines(state)].join("\n");
}

function sortedKeys(map: Map<string, unknown>): string[] {
  return [...map.keys()].sort();
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

/** Builds a state from a snapshot's lines as they arrive (from disk or from a peer). */
export class SnapshotBuilder {
  #state = createState();
  #header: HeaderJson | undefined;

  /**
   * Takes the next line.
   * @throws {AppError} BAD_REQUEST when it is not a line of a snapshot of this version
   */
  add(text: string): void {
    try {
      if (this.#header === undefined) {
        const header = JSON.parse(text) as HeaderJson;
        if (!READABLE_VERSIONS.includes(header?.version)) {
          throw new TypeError("unknown snapshot version");
        }
        if (!Number.isSafeInteger(header.horizonMs)) throw new TypeError("horizonMs");
        this.#header = header;
        this.#state.horizonMs = header.horizonMs;
        return;
      }
      readRecord(this.#state, JSON.parse(text) as RecordJson);
    } catch (error) {
      throw unreadable(error);
    }
  }

  /**
   * The state read, once every line was taken.
   * @throws {AppError} BAD_REQUEST when no header came
   */
  finish(): TrackerState {
    if (this.#header === undefined) throw unreadable(new TypeError("no header"));
    const state = this.#state;
    for (const [tokenHash, session] of state.sessions) indexToken(state, session.user, tokenHash);
    return state;
  }
}

function unreadable(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new AppError("BAD_REQUEST", `Cannot read the state snapshot: ${why}`);
}

/**
 * Reads a snapshot written by {@link snapshotLines}, one line at a time.
 * @param lines its lines, in order
 * @returns the state it holds
 * @throws {AppError} BAD_REQUEST when the lines are not a snapshot of this version
 */
export function stateFromLines(lines: Iterable<string>): TrackerState {
  const builder = new SnapshotBuilder();
  for (const line of lines) builder.add(line);
  return builder.finish();
}

function readRecord(state: TrackerState, record: RecordJson): void {
  if (!Array.isArray(record) || typeof record[1] !== "string") throw new TypeError("a bad line");
  switch (record[0]) {
    case "user":
      state.users.set(record[1], record[2]);
      return;
    case "session":
      state.sessions.set(record[1], record[2]);
      return;
    case "closed":
      state.closedSessions.set(record[1], record[2]);
      return;
    case "group":
      state.groups.set(record[1], groupFrom(record[2]));
      return;
    case "manifest":
      addManifest(state, record[2]);
      return;
    case "lease":
      state.peerLeases.set(record[1], record[2]);
      return;
    case "member":
      epochRead(state, record[1], record[2]).members.set(record[3], record[4]);
      return;
    case "file":
      epochRead(state, record[1], record[2]).files.set(record[3], toMap(record[4], (r) => r));
      return;
    default:
      throw new TypeError(`an unknown record "${String(record[0]).slice(0, 20)}"`);
  }
}

// The epoch a member or file line belongs to: its group's line came first.
function epochRead(state: TrackerState, group: string, epoch: Stamp): EpochRecord {
  const record = state.groups.get(group)?.epochs.get(epoch);
  if (record === undefined) throw new TypeError("a member or file line before its group");
  return record;
}

/**
 * Reads a snapshot written by {@link serializeState}.
 * @param text the snapshot's text
 * @returns the state it holds
 * @throws {AppError} BAD_REQUEST when the text is not a snapshot of this version
 */
export function deserializeState(text: string): TrackerState {
  return stateFromLines(text.split("\n"));
}
