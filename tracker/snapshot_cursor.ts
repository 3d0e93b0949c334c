/**
 * A snapshot of a state that keeps changing while it is written, a few lines
 * at a time. Nothing is copied when it starts: the walk reads the live state,
 * and before each op is applied {@link SnapshotCursor.beforeApply} keeps the
 * value at the start of every record the op may change (copy on write). Leaf
 * records (users, sessions, registers, manifests) are replaced, never changed
 * in place (state.ts), so keeping one is keeping a reference; only a file's
 * seeds map and a group's own fields are copied, and both are small.
 *
 * The walk visits the live maps with their own iterators, which keep their
 * place across changes: a record added since the start is recognised by a
 * kept "absent" and skipped, a record deleted since the start (a closed
 * session) was kept and is written at the end of its map. A record may be
 * written twice, always with its value at the start: readers set records by
 * key, so that is harmless. A group is written as its own line, then one line
 * per member and per file name, so that no line grows with the group.
 *
 * What compaction would drop (state_compaction.ts) is left out: sessions and
 * leases over by the start's horizon, and manifests no seed at the start
 * refers to. {@link SnapshotCursor.droppable} then names them, so that they
 * can leave memory too without another pass over the state.
 */
import type { Stamp } from "./hlc.ts";
import type { Op } from "./ops.ts";
import { leaseForgotten } from "./state.ts";
import type {
  EpochRecord,
  GroupRecord,
  Register,
  Seed,
  SessionRecord,
  TrackerState,
  UserRecord,
} from "./state_types.ts";
import type { MemberStatus } from "./ops.ts";
import { peerKey } from "./peer_key.ts";

/** The version written by the cursor: groups split into member and file lines. */
export const SLICED_SNAPSHOT_VERSION = 4;

/** A group's own fields at the start, with its epochs as they were. */
interface GroupHead {
  creates: Map<Stamp, string>;
  removals: Map<Stamp, Stamp>;
  epochs: Array<[Stamp, Register<string> | undefined, EpochRecord]>;
}

/** Start values of what changed since the start; null: absent at the start. */
interface Kept {
  users: Map<string, UserRecord | null>;
  sessions: Map<string, SessionRecord | null>;
  closed: Map<string, number | null>;
  leases: Map<string, Register<number> | null>;
  groups: Map<string, GroupHead | null>;
  members: Map<string, Register<MemberStatus> | null>;
  files: Map<string, Map<string, Register<Seed>> | null>;
}

/** What the snapshot left out, by key: it may leave memory too (see {@link SnapshotCursor.droppable}). */
export interface Droppable {
  /** Token hashes of sessions or closed sessions over by the start's horizon. */
  sessions: string[];
  /** Peer leases forgotten by the start's horizon. */
  leases: string[];
  /** Pieces keys of manifests no seed of the start refers to. */
  manifests: string[];
}

/** A snapshot being written from a live state; see the module comment. */
export class SnapshotCursor {
  /** The horizon at the start: what the snapshot's sessions and leases are measured by. */
  readonly horizonMs: number;
  #state: TrackerState;
  #kept: Kept = {
    users: new Map(),
    sessions: new Map(),
    closed: new Map(),
    leases: new Map(),
    groups: new Map(),
    members: new Map(),
    files: new Map(),
  };
  #referenced = new Set<string>();
  #legacyFileHashes = new Set<string>();
  /** File hashes of the shares applied since the start: their manifests may be needed again. */
  #sharedSince = new Set<string>();
  #droppable: Droppable = { sessions: [], leases: [], manifests: [] };
  /** Yields a line, or undefined for a step that wrote none (a record skipped). */
  #lines: Generator<string | undefined>;
  #done = false;

  /** Starts a snapshot of `state` as it is now. */
  constructor(state: TrackerState) {
    this.#state = state;
    this.horizonMs = state.horizonMs;
    this.#lines = this.#walk();
  }

  /** Whether every line was taken. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Keeps the start value of every record `op` may change; call it before applying the op.
   * @param op the op about to be applied to the live state
   */
  beforeApply(op: Op): void {
    const b = op.body;
    if (b.type === "share_file") {
      // Also once done: see mayDropManifest().
      this.#sharedSince.add(b.fileHash);
      if (b.manifest !== undefined) this.#sharedSince.add(b.manifest.fileHash);
    }
    if (this.#done) return;
    const s = this.#state;
    switch (b.type) {
      case "create_user":
        return keep(this.#kept.users, b.user, s.users);
      case "open_session":
        return keep(this.#kept.sessions, b.tokenHash, s.sessions);
      case "close_session":
        keep(this.#kept.sessions, b.tokenHash, s.sessions);
        return keep(this.#kept.closed, b.tokenHash, s.closedSessions);
      case "peer_lease":
        return keep(this.#kept.leases, peerKey(b.user, b.addr), s.peerLeases);
      case "create_group":
        this.#keepGroup(b.group);
        return this.#keepMember(b.group, op.stamp, b.owner);
      case "remove_group":
        return this.#keepGroup(b.group); // the removed epoch stays whole in the kept head
      case "set_member":
        this.#keepGroup(b.group);
        return this.#keepMember(b.group, b.epoch, b.user);
      case "set_owner":
        return this.#keepGroup(b.group);
      case "share_file":
      case "unshare_file":
        this.#keepGroup(b.group);
        return this.#keepFile(b.group, b.epoch, b.name);
    }
  }

  /**
   * The next lines of the snapshot, in at most `maxSteps` steps: a step looks
   * at one record and writes at most one line, so that records skipped (added
   * since the start) cost turns like any others.
   * @returns the lines written
   */
  take(maxSteps: number): string[] {
    const lines: string[] = [];
    for (let step = 0; step < maxSteps && !this.#done; step++) {
      const next = this.#lines.next();
      if (next.done) this.#done = true;
      else if (next.value !== undefined) lines.push(next.value);
    }
    return lines;
  }

  /**
   * What the snapshot left out and may leave memory: the sessions, closed
   * sessions and leases that are over (for good: the horizon only grows),
   * and the manifests that no seed of the start referred to, as long as
   * {@link SnapshotCursor.mayDropManifest} says so when they are dropped.
   * @returns the keys, complete once the cursor is done
   */
  droppable(): Droppable {
    return this.#droppable;
  }

  /**
   * Whether a manifest the snapshot left out may leave memory now: no share
   * of its file was applied since the start (such a share may refer to it).
   * Ops keep being noted after the snapshot is done, so this holds at any later time.
   * @returns true when no seed can refer to it
   */
  mayDropManifest(manifest: { fileHash: string }): boolean {
    return !this.#sharedSince.has(manifest.fileHash);
  }

  #keepGroup(name: string): void {
    if (this.#kept.groups.has(name)) return;
    const group = this.#state.groups.get(name);
    this.#kept.groups.set(name, group === undefined ? null : headOf(group));
  }

  #keepMember(group: string, epoch: Stamp, user: string): void {
    const key = unitKey(group, epoch, user);
    if (this.#kept.members.has(key)) return;
    const members = this.#state.groups.get(group)?.epochs.get(epoch)?.members;
    this.#kept.members.set(key, members?.get(user) ?? null);
  }

  #keepFile(group: string, epoch: Stamp, name: string): void {
    const key = unitKey(group, epoch, name);
    if (this.#kept.files.has(key)) return;
    const seeds = this.#state.groups.get(group)?.epochs.get(epoch)?.files.get(name);
    this.#kept.files.set(key, seeds === undefined ? null : new Map(seeds));
  }

  *#walk(): Generator<string | undefined> {
    const s = this.#state;
    const k = this.#kept;
    const horizon = this.horizonMs;
    yield JSON.stringify({ version: SLICED_SNAPSHOT_VERSION, horizonMs: horizon });
    for (const entry of startValues(s.users, k.users)) {
      yield entry && line("user", entry[0], entry[1]);
    }
    const drop = this.#droppable;
    for (const entry of startValues(s.sessions, k.sessions)) {
      if (entry === undefined || entry[1].expiresMs > horizon) {
        yield entry && line("session", entry[0], entry[1]);
      } else {
        drop.sessions.push(entry[0]);
        yield undefined;
      }
    }
    for (const entry of startValues(s.closedSessions, k.closed)) {
      if (entry === undefined || entry[1] > horizon) yield entry && line("closed", ...entry);
      else {
        drop.sessions.push(entry[0]);
        yield undefined;
      }
    }
    for (const entry of startValues(s.peerLeases, k.leases)) {
      if (entry === undefined || !leaseForgotten(entry[1].stamp, horizon)) {
        yield entry && line("lease", ...entry);
      } else {
        drop.leases.push(entry[0]);
        yield undefined;
      }
    }
    for (const [name, live] of s.groups) {
      const head = k.groups.has(name) ? k.groups.get(name) : headOf(live);
      if (head === null || head === undefined) yield undefined; // created since the start
      else yield* this.#groupLines(name, head);
    }
    // Last, so that every seed of the start has been seen.
    for (const entry of startValues(s.manifests, new Map<string, null>())) {
      if (entry === undefined) yield undefined;
      else if (this.#referenced.has(entry[0]) || this.#legacyFileHashes.has(entry[1].fileHash)) {
        yield line("manifest", ...entry);
      } else {
        drop.manifests.push(entry[0]);
        yield undefined;
      }
    }
  }

  *#groupLines(name: string, head: GroupHead): Generator<string | undefined> {
    const epochs = head.epochs.map(([stamp, owner]) => [
      stamp,
      { owner: owner ?? null, members: [], files: [] },
    ]);
    yield line("group", name, { creates: [...head.creates], removals: [...head.removals], epochs });
    for (const [epoch, , record] of head.epochs) {
      for (const [user, live] of record.members) {
        const key = unitKey(name, epoch, user);
        const reg = this.#kept.members.has(key) ? this.#kept.members.get(key) : live;
        yield reg === null || reg === undefined
          ? undefined
          : JSON.stringify(["member", name, epoch, user, reg]);
      }
      for (const [file, live] of record.files) {
        const key = unitKey(name, epoch, file);
        const seeds = this.#kept.files.has(key) ? this.#kept.files.get(key) : live;
        if (seeds === null || seeds === undefined) {
          yield undefined;
          continue;
        }
        for (const { value } of seeds.values()) {
          noteSeed(value, this.#referenced, this.#legacyFileHashes);
        }
        yield JSON.stringify(["file", name, epoch, file, [...seeds]]);
      }
    }
  }
}

/**
 * Every line of a snapshot of `state`, for one taken at once: nothing changes
 * the state while they are read, so no start value needs keeping.
 * @returns the lines, in the order a {@link SnapshotCursor} writes them
 */
export function* allSnapshotLines(state: TrackerState): Generator<string> {
  const cursor = new SnapshotCursor(state);
  while (!cursor.done) yield* cursor.take(LINES_PER_TAKE);
}

/** Steps per take of {@link allSnapshotLines}. */
const LINES_PER_TAKE = 1024;

function line(kind: string, key: string, value: unknown): string {
  return JSON.stringify([kind, key, value]);
}

function unitKey(group: string, epoch: Stamp, name: string): string {
  return JSON.stringify([group, epoch, name]);
}

function headOf(group: GroupRecord): GroupHead {
  return {
    creates: new Map(group.creates),
    removals: new Map(group.removals),
    epochs: [...group.epochs].map(([stamp, epoch]) => [stamp, epoch.owner, epoch]),
  };
}

function keep<T>(kept: Map<string, T | null>, key: string, live: Map<string, T>): void {
  if (!kept.has(key)) kept.set(key, live.get(key) ?? null);
}

function noteSeed(seed: Seed, keys: Set<string>, legacyFileHashes: Set<string>): void {
  if (!seed.active) return;
  if (seed.piecesKey !== undefined) keys.add(seed.piecesKey);
  else legacyFileHashes.add(seed.fileHash); // from before shares carried manifests: any of its file's
}

/**
 * The start value of every record of a live map, in the map's order, then
 * those deleted since the start; undefined for each record looked at and
 * skipped (added since the start, or kept and still there).
 */
function* startValues<T>(
  live: Map<string, T>,
  kept: Map<string, T | null>,
): Generator<[string, T] | undefined> {
  for (const [key, value] of live) {
    const start = kept.has(key) ? kept.get(key) : value;
    yield start === null || start === undefined ? undefined : [key, start];
  }
  for (const [key, start] of kept) {
    yield start === null || live.has(key) ? undefined : [key, start];
  }
}
