/**
 * Operations: the only way tracker state changes. Each op carries its origin
 * tracker, that tracker's sequence number and a hybrid-logical-clock stamp;
 * its body says what happened. Bodies are self-contained: everything an op
 * means is in the op itself (a group's epoch is the stamp of its
 * `create_group` op, and later ops name that epoch), so any tracker can apply
 * any op in any order.
 */
import { AppError } from "../protocol/errors.ts";
import { type Manifest, parseManifest } from "../protocol/manifest.ts";
import {
  certificatePem,
  fileName,
  hostPort,
  ident,
  obj,
  sha256Hex,
  str,
  uint,
} from "../protocol/validate.ts";
import { isStamp, MAX_ORIGIN, MAX_STAMP_MS, parseStamp, type Stamp } from "./hlc.ts";

/** A membership's state: asked to join, in, turned down, or gone. */
export type MemberStatus = "pending" | "member" | "rejected" | "left";

/** The change one op makes. */
export type OpBody =
  /** A new user; the first creation of a name (smallest stamp) wins. */
  | { type: "create_user"; user: string; salt: string; hash: string }
  /**
   * A login; `userStamp` is the stamp of the user's winning `create_user` at
   * login. The token is kept only as its hash; the session ends at `expiresMs`.
   */
  | { type: "open_session"; tokenHash: string; user: string; userStamp: Stamp; expiresMs: number }
  /** A logout; a closed token stays closed until its session would have expired. */
  | { type: "close_session"; tokenHash: string; expiresMs: number }
  /** A new group epoch (the op's stamp), owned by and with `owner` as its first member. */
  | { type: "create_group"; group: string; owner: string }
  /** Ends a group epoch (its last member left). */
  | { type: "remove_group"; group: string; epoch: Stamp }
  /** Sets a user's membership in a group epoch (last writer wins). */
  | { type: "set_member"; group: string; epoch: Stamp; user: string; status: MemberStatus }
  /** Hands a group epoch to another owner (last writer wins). */
  | { type: "set_owner"; group: string; epoch: Stamp; user: string }
  /**
   * A user shares a file in a group epoch (last writer wins per group, name and
   * user). `since` is when this user began sharing this content without a
   * break (absent: the op's own stamp). `manifest` is present when the
   * deciding tracker did not yet have this content's manifest.
   */
  | {
    type: "share_file";
    group: string;
    epoch: Stamp;
    name: string;
    user: string;
    addr: string;
    /** The seeder's own TLS certificate (PEM); absent in ops of plain seeders and older trackers. */
    cert?: string;
    fileHash: string;
    since?: Stamp;
    manifest?: Manifest;
    /**
     * Present in ops of peer-aware trackers: the seed belongs to the client
     * at `addr`, not to the user, so one user's two clients are two peers
     * (see peerKey in state_view.ts). `partial`: a download in progress.
     */
    perClient?: true;
    partial?: true;
  }
  /**
   * A user stops sharing a file (last writer wins). With `addr`, only the
   * client at that address stops; without, every client of the user does.
   */
  | { type: "unshare_file"; group: string; epoch: Stamp; name: string; user: string; addr?: string }
  /**
   * A client's peer lease: its seeds count as live until the op's time plus
   * `ttlMs` (0: it left). Last writer wins per user and address.
   */
  | { type: "peer_lease"; user: string; addr: string; ttlMs: number };

/** Every op body type. */
export type OpType = OpBody["type"];

/** One replicated operation. */
export interface Op {
  /** The tracker that created it. */
  origin: number;
  /** Its position in its origin's log, from 1. */
  seq: number;
  /** Its clock stamp; the stamp's origin equals `origin`. */
  stamp: Stamp;
  body: OpBody;
  /** On the first op of a command sent with a retry id: the key and the reply given. */
  retry?: RetryRecord;
}

/** What a tracker needs to answer a retried command without applying it again. */
export interface RetryRecord {
  /** The command, its user and its retry id, e.g. `create_group:alice:3f2a…`. */
  key: string;
  /** The reply data first given. */
  reply: Record<string, unknown>;
}

const MAX_RETRY_KEY_CHARS = 256;
/** The longest peer lease an op may grant: an hour. */
export const MAX_PEER_LEASE_MS = 3_600_000;

const MAX_CREDENTIAL_CHARS = 512;
const STATUSES: readonly MemberStatus[] = ["pending", "member", "rejected", "left"];

type Raw = Record<string, unknown>;

function stamp(raw: Raw, field: string): Stamp {
  const value = raw[field];
  if (!isStamp(value)) {
    throw new AppError("BAD_REQUEST", `Field "${field}" must be a stamp`);
  }
  return value;
}

function status(raw: Raw, field: string): MemberStatus {
  const value = raw[field];
  if (typeof value !== "string" || !(STATUSES as readonly string[]).includes(value)) {
    throw new AppError("BAD_REQUEST", `Field "${field}" must be one of ${STATUSES.join(", ")}`);
  }
  return value as MemberStatus;
}

function parseShare(raw: Raw): OpBody {
  const body: OpBody = {
    type: "share_file",
    group: ident(raw, "group"),
    epoch: stamp(raw, "epoch"),
    name: fileName(raw, "name"),
    user: ident(raw, "user"),
    addr: hostPort(raw, "addr"),
    fileHash: sha256Hex(raw, "fileHash"),
  };
  if (raw["cert"] !== undefined) body.cert = certificatePem(raw, "cert");
  if (raw["since"] !== undefined) body.since = stamp(raw, "since");
  if (raw["perClient"] === true) body.perClient = true;
  if (raw["partial"] === true) body.partial = true;
  if (raw["manifest"] !== undefined) {
    body.manifest = parseManifest(obj(raw, "manifest"));
    if (body.manifest.fileHash !== body.fileHash) {
      throw new AppError("BAD_REQUEST", 'Field "manifest" must describe "fileHash"');
    }
  }
  return body;
}

const BODY_PARSERS: Record<OpType, (raw: Raw) => OpBody> = {
  create_user: (raw) => ({
    type: "create_user",
    user: ident(raw, "user"),
    salt: str(raw, "salt", MAX_CREDENTIAL_CHARS),
    hash: str(raw, "hash", MAX_CREDENTIAL_CHARS),
  }),
  open_session: (raw) => ({
    type: "open_session",
    tokenHash: sha256Hex(raw, "tokenHash"),
    user: ident(raw, "user"),
    userStamp: stamp(raw, "userStamp"),
    expiresMs: uint(raw, "expiresMs", MAX_STAMP_MS),
  }),
  close_session: (raw) => ({
    type: "close_session",
    tokenHash: sha256Hex(raw, "tokenHash"),
    expiresMs: uint(raw, "expiresMs", MAX_STAMP_MS),
  }),
  create_group: (raw) => ({
    type: "create_group",
    group: ident(raw, "group"),
    owner: ident(raw, "owner"),
  }),
  remove_group: (raw) => ({
    type: "remove_group",
    group: ident(raw, "group"),
    epoch: stamp(raw, "epoch"),
  }),
  set_member: (raw) => ({
    type: "set_member",
    group: ident(raw, "group"),
    epoch: stamp(raw, "epoch"),
    user: ident(raw, "user"),
    status: status(raw, "status"),
  }),
  set_owner: (raw) => ({
    type: "set_owner",
    group: ident(raw, "group"),
    epoch: stamp(raw, "epoch"),
    user: ident(raw, "user"),
  }),
  share_file: parseShare,
  unshare_file: (raw) => ({
    type: "unshare_file",
    group: ident(raw, "group"),
    epoch: stamp(raw, "epoch"),
    name: fileName(raw, "name"),
    user: ident(raw, "user"),
    ...(raw["addr"] === undefined ? {} : { addr: hostPort(raw, "addr") }),
  }),
  peer_lease: (raw) => ({
    type: "peer_lease",
    user: ident(raw, "user"),
    addr: hostPort(raw, "addr"),
    ttlMs: uint(raw, "ttlMs", MAX_PEER_LEASE_MS),
  }),
};

/**
 * Parses an op body.
 * @param raw the `body` object of an op
 * @returns a typed body holding only the known fields
 * @throws {AppError} BAD_REQUEST when the type is unknown or a field is wrong
 */
export function parseOpBody(raw: Raw): OpBody {
  const type = raw["type"];
  if (typeof type !== "string" || !Object.hasOwn(BODY_PARSERS, type)) {
    throw new AppError("BAD_REQUEST", 'Field "type" must name an op type');
  }
  return BODY_PARSERS[type as OpType](raw);
}

/**
 * Validates an op received from a peer tracker.
 * @param raw anything decoded from the wire or the op log
 * @returns a typed op holding only the known fields
 * @throws {AppError} BAD_REQUEST when anything is missing, ill-typed, or the stamp's origin differs
 */
export function parseOp(raw: unknown): Op {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new AppError("BAD_REQUEST", "An op must be a JSON object");
  }
  const r = raw as Raw;
  const origin = uint(r, "origin", MAX_ORIGIN);
  const seq = uint(r, "seq");
  if (seq === 0) throw new AppError("BAD_REQUEST", 'Field "seq" must be positive');
  const opStamp = stamp(r, "stamp");
  if (parseStamp(opStamp).origin !== origin) {
    throw new AppError("BAD_REQUEST", 'Field "stamp" must carry the op\'s origin');
  }
  const op: Op = { origin, seq, stamp: opStamp, body: parseOpBody(obj(r, "body")) };
  if (r["retry"] !== undefined) op.retry = parseRetryRecord(obj(r, "retry"));
  return op;
}

function parseRetryRecord(raw: Raw): RetryRecord {
  return { key: str(raw, "key", MAX_RETRY_KEY_CHARS), reply: obj(raw, "reply") };
}
