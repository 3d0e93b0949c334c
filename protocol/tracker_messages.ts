/**
 * The client-to-tracker commands: a discriminated union on `cmd` and the one
 * parser that turns a raw JSON object into a typed, validated request.
 * Every request carries an `id` that its reply echoes.
 */
import { AppError } from "./errors.ts";
import { type Manifest, parseManifest } from "./manifest.ts";
import {
  certificatePem,
  fileName,
  hostPort,
  ident,
  obj,
  optional,
  parseByCommand,
  str,
} from "./validate.ts";

/** Commands that need no session. */
export type PublicRequest =
  | { cmd: "ping" }
  | { cmd: "create_user"; user: string; password: string }
  | { cmd: "login"; user: string; password: string }
  | { cmd: "status" }
  | { cmd: "digest" };

/** Commands that need a session token. */
export type SessionRequest =
  | { cmd: "logout"; token: string }
  | { cmd: "whoami"; token: string }
  | { cmd: "list_groups"; token: string }
  | { cmd: "create_group"; token: string; group: string }
  | { cmd: "join_group"; token: string; group: string }
  | { cmd: "leave_group"; token: string; group: string }
  | { cmd: "list_requests"; token: string; group: string }
  | { cmd: "accept_request"; token: string; group: string; user: string }
  | { cmd: "reject_request"; token: string; group: string; user: string }
  | { cmd: "list_files"; token: string; group: string }
  | {
    cmd: "upload_file";
    token: string;
    group: string;
    name: string;
    /** The uploader's seeder address, host:port. */
    addr: string;
    /** The seeder's own TLS certificate (PEM); absent: it serves plain TCP. */
    cert?: string;
    manifest: Manifest;
    /** Set by a client whose download of it is in progress: a partial peer. */
    partial?: true;
  }
  | { cmd: "download_file"; token: string; group: string; name: string }
  /** `addr`: stop only the client at that address (absent: every client of the user). */
  | { cmd: "stop_share"; token: string; group: string; name: string; addr?: string }
  /**
   * The client at `addr` is alive (renews its peer lease; the tracker writes
   * a lease op only when half of it has run), or leaving (ends it).
   */
  | { cmd: "keep_alive"; token: string; addr: string; leaving?: true };

/** The session commands that change state; the others only read it. */
export const SESSION_WRITE_COMMANDS = [
  "logout",
  "create_group",
  "join_group",
  "leave_group",
  "accept_request",
  "reject_request",
  "upload_file",
  "stop_share",
  "keep_alive",
] as const;

/** One of {@link SESSION_WRITE_COMMANDS}. */
export type SessionWriteCommand = typeof SESSION_WRITE_COMMANDS[number];

/** Any client-to-tracker command. */
export type TrackerRequest = PublicRequest | SessionRequest;
/** The command names. */
export type TrackerCommand = TrackerRequest["cmd"];

const MAX_PASSWORD_CHARS = 256;
const MAX_TOKEN_CHARS = 128;

type Raw = Record<string, unknown>;
type Parser = (raw: Raw) => TrackerRequest;

const token = (raw: Raw) => str(raw, "token", MAX_TOKEN_CHARS);
const group = (raw: Raw) => ident(raw, "group");

const PARSERS: Record<TrackerCommand, Parser> = {
  ping: () => ({ cmd: "ping" }),
  status: () => ({ cmd: "status" }),
  digest: () => ({ cmd: "digest" }),
  create_user: (raw) => ({
    cmd: "create_user",
    user: ident(raw, "user"),
    password: str(raw, "password", MAX_PASSWORD_CHARS),
  }),
  login: (raw) => ({
    cmd: "login",
    user: ident(raw, "user"),
    password: str(raw, "password", MAX_PASSWORD_CHARS),
  }),
  logout: (raw) => ({ cmd: "logout", token: token(raw) }),
  whoami: (raw) => ({ cmd: "whoami", token: token(raw) }),
  list_groups: (raw) => ({ cmd: "list_groups", token: token(raw) }),
  create_group: (raw) => ({ cmd: "create_group", token: token(raw), group: group(raw) }),
  join_group: (raw) => ({ cmd: "join_group", token: token(raw), group: group(raw) }),
  leave_group: (raw) => ({ cmd: "leave_group", token: token(raw), group: group(raw) }),
  list_requests: (raw) => ({ cmd: "list_requests", token: token(raw), group: group(raw) }),
  accept_request: (raw) => ({
    cmd: "accept_request",
    token: token(raw),
    group: group(raw),
    user: ident(raw, "user"),
  }),
  reject_request: (raw) => ({
    cmd: "reject_request",
    token: token(raw),
    group: group(raw),
    user: ident(raw, "user"),
  }),
  list_files: (raw) => ({ cmd: "list_files", token: token(raw), group: group(raw) }),
  upload_file: (raw) => {
    const cert = optional(raw, "cert", certificatePem);
    return {
      cmd: "upload_file",
      token: token(raw),
      group: group(raw),
      name: fileName(raw, "name"),
      addr: hostPort(raw, "addr"),
      ...(cert === undefined ? {} : { cert }),
      manifest: parseManifest(obj(raw, "manifest")),
      ...(raw["partial"] === true ? { partial: true as const } : {}),
    };
  },
  download_file: (raw) => ({
    cmd: "download_file",
    token: token(raw),
    group: group(raw),
    name: fileName(raw, "name"),
  }),
  stop_share: (raw) => {
    const addr = optional(raw, "addr", hostPort);
    return {
      cmd: "stop_share",
      token: token(raw),
      group: group(raw),
      name: fileName(raw, "name"),
      ...(addr === undefined ? {} : { addr }),
    };
  },
  keep_alive: (raw) => ({
    cmd: "keep_alive",
    token: token(raw),
    addr: hostPort(raw, "addr"),
    ...(raw["leaving"] === true ? { leaving: true as const } : {}),
  }),
};

const RETRY_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * Reads the optional retry id (`rid`) of a request. A client gives each write
 * command a fresh random `rid` and sends the same one when it retries that
 * command on another tracker after a failover; a tracker that has already
 * applied it (itself, or through replication) answers with the first reply
 * instead of applying it again.
 * @param raw the request object
 * @returns the retry id, or undefined when absent
 * @throws {AppError} BAD_REQUEST when present but not 8-64 letters, digits, `_` or `-`
 */
export function parseRetryId(raw: Raw): string | undefined {
  const rid = raw["rid"];
  if (rid === undefined || rid === null) return undefined;
  if (typeof rid !== "string" || !RETRY_ID.test(rid)) {
    throw new AppError("BAD_REQUEST", 'Field "rid" must be 8-64 letters, digits, _ or -');
  }
  return rid;
}

/** Every command name the tracker answers. */
export const TRACKER_COMMANDS: readonly TrackerCommand[] = Object.keys(
  PARSERS,
) as TrackerCommand[];

/**
 * Validates a raw message as a tracker command.
 * @param raw the parsed JSON object (its `id` and `v` already checked)
 * @returns the typed request
 * @throws {AppError} UNKNOWN_COMMAND or BAD_REQUEST
 */
export function parseTrackerRequest(raw: Raw): TrackerRequest {
  return parseByCommand(raw, PARSERS);
}

/** A group as `list_groups` shows it. */
export interface GroupInfo {
  group: string;
  owner: string;
  /** Number of members, the owner included. */
  members: number;
  /** The asking user's relation to the group. */
  role: "owner" | "member" | "pending" | "none";
}

/** A file as `list_files` shows it. */
export interface FileInfo {
  name: string;
  size: number;
  fileHash: string;
  /** Live clients holding all of it. */
  seeders: number;
  /** Live clients downloading it (partial peers). */
  partials: number;
}

/** A peer that holds a file. */
export interface PeerInfo {
  user: string;
  /** Its seeder address, host:port. */
  addr: string;
  /** Its seeder's own TLS certificate (PEM), to dial it with as the only root; absent: plain TCP. */
  cert?: string;
  /** Set when it is still downloading the file: it holds some pieces. */
  partial?: boolean;
}

/** One cluster link as `status` shows it. */
export interface LinkStatus {
  peer: string;
  state: "connected" | "connecting" | "refused" | "down";
  /** Ops this tracker has that the peer is not known to have. */
  behind: number;
  /**
   * The last comparison of state digests when both held the same ops:
   * "mismatch" means the two have diverged although neither is behind.
   */
  digest: "unchecked" | "match" | "mismatch";
  /** Origins whose ops the peer will not take yet (stamped too far ahead, or in conflict). */
  paused: number[];
}

/** An op a tracker refused because it contradicts what it holds. */
export interface ConflictStatus {
  origin: number;
  seq: number;
  /** The tracker that sent it. */
  from: number;
  reason: string;
}

/** The data of a successful reply, per command. */
export interface TrackerReplies {
  ping: { pong: true };
  create_user: { user: string };
  /** `clusterKey`: the cluster's public key (base64url), that tickets and tracker proofs verify against. */
  login: { user: string; token: string; clusterKey: string };
  logout: Record<string, never>;
  /** `clusterKey` as in `login`: a session resumed by its token learns it here. */
  whoami: { user: string; clusterKey: string };
  list_groups: { groups: GroupInfo[] };
  create_group: { group: string };
  join_group: { group: string; status: "pending" };
  leave_group: { group: string; newOwner: string | null; removed: boolean };
  list_requests: { group: string; requests: string[] };
  accept_request: { group: string; user: string };
  reject_request: { group: string; user: string };
  list_files: { group: string; files: FileInfo[] };
  upload_file: { group: string; name: string; fileHash: string; seeders: number };
  /** `ticket`: the download ticket (base64url, protocol/ticket.ts) seeders ask for. */
  download_file: {
    group: string;
    name: string;
    manifest: Manifest;
    peers: PeerInfo[];
    ticket: string;
  };
  stop_share: { group: string; name: string };
  /** `ttlMs`: how long the lease runs; renew well before. */
  keep_alive: { ttlMs: number };
  status: {
    id: number;
    addr: string;
    links: LinkStatus[];
    versionVector: Record<string, number>;
    /** Ops refused because they contradict what this tracker holds: how many, and the latest. */
    conflicts: { count: number; recent: ConflictStatus[] };
    /** "ok", or why writes are refused now (the op log cannot commit: a full disk). */
    writes: string;
    /** The tracker process's resident memory now and at its peak, in bytes. */
    memory: { rssBytes: number; peakRssBytes: number };
  };
  digest: { digest: string; ops: number };
}
