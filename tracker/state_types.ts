/**
 * The shapes of the tracker's replicated state. Every field is a merge of
 * registers keyed by name, so applying ops in any order gives the same value;
 * what users see is derived from these at read time (see state_view.ts).
 */
import type { Stamp } from "./hlc.ts";
import type { MemberStatus } from "./ops.ts";
import type { ManifestSummary } from "./piece_hashes.ts";

/** A value with the stamp of the op that wrote it. */
export interface Register<T> {
  stamp: Stamp;
  value: T;
}

/** A user's winning creation: the smallest stamp. */
export interface UserRecord {
  stamp: Stamp;
  salt: string;
  hash: string;
}

/** A session as opened: for `user` as created at `userStamp`, until `expiresMs`. */
export interface SessionRecord {
  stamp: Stamp;
  user: string;
  userStamp: Stamp;
  expiresMs: number;
}

/**
 * One peer's sharing of one file name in a group epoch; `partial` while its
 * download is in progress. Keyed by user (older ops) or by peerKey(user, addr).
 * `piecesKey` names the manifest its op carried (absent for ops from before
 * every share carried one).
 */
export type Seed =
  | {
    active: true;
    addr: string;
    cert?: string;
    fileHash: string;
    since: Stamp;
    piecesKey?: string;
    partial?: true;
  }
  | { active: false };

/** Everything said about one epoch of a group. */
export interface EpochRecord {
  /** Last-writer-wins owner; undefined until the create op arrives. */
  owner: Register<string> | undefined;
  /** user -> last-writer-wins membership. */
  members: Map<string, Register<MemberStatus>>;
  /** file name -> user -> last-writer-wins seed. */
  files: Map<string, Map<string, Register<Seed>>>;
}

/** Everything said about one group name, across its epochs. */
export interface GroupRecord {
  /** epoch (the create op's stamp) -> creator. */
  creates: Map<Stamp, string>;
  /** epoch -> earliest stamp of an op that ended it. */
  removals: Map<Stamp, Stamp>;
  /** epoch -> its registers (also for epochs whose create has not arrived yet). */
  epochs: Map<Stamp, EpochRecord>;
}

/** The whole replicated state of a tracker. */
export interface TrackerState {
  users: Map<string, UserRecord>;
  /** token hash -> the earliest open of it, while neither closed nor expired. */
  sessions: Map<string, SessionRecord>;
  /** Closed token hashes -> when their session would have expired; kept until then. */
  closedSessions: Map<string, number>;
  /**
   * The largest wall-clock time (ms) of any op stamp applied: sessions that
   * expire by then are gone. A maximum over ops, so every order of delivery
   * gives the same value and the same sessions.
   */
  horizonMs: number;
  groups: Map<string, GroupRecord>;
  /**
   * piecesKey -> a manifest without its piece hashes (those are on disk, see
   * piece_hashes.ts), kept while an active seed refers to it (state_compaction.ts).
   */
  manifests: Map<string, ManifestSummary>;
  /** Index derived from `manifests`: fileHash -> the pieces keys of its manifests. Not serialized. */
  fileManifests: Map<string, Set<string>>;
  /** peerKey(user, addr) -> last-writer-wins lease: live until `value` (ms). */
  peerLeases: Map<string, Register<number>>;
  /** Index derived from `sessions`: user -> token hashes opened for them. Not serialized. */
  userTokens: Map<string, Set<string>>;
}
