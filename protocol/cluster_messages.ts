/**
 * Messages between trackers, on the same control port and framing as client
 * commands. The dialing tracker sends its ops; the accepting one stores them.
 *
 * A link opens with a mutual challenge-response over the shared cluster
 * secret (see link_auth.ts for what the proofs bind), so the secret itself
 * never crosses the wire and both ends prove they know it:
 * 1. dialer → `peer_hello { from, nonce: a, addr, to, reached }`; acceptor → `{ id, nonce: b }`
 * 2. dialer → `peer_auth { proof }`; the acceptor checks it (and logs a refusal),
 *    then → `{ proof, versionVector, mac }`; the dialer checks both before it sends any op.
 * 3. dialer → `peer_ops { ops, seq, mac }` batches, each answered
 *    `{ accepted, versionVector, paused, mac }` once the ops are durable on the acceptor;
 *    `paused` lists origins whose next ops the acceptor will not take yet (stamped too far
 *    ahead, or in conflict), which the dialer then leaves aside for a while.
 * 4. dialer → `peer_digest { seq, mac }` → `{ digest, versionVector, mac }`, to compare
 *    states once caught up.
 * 5. dialer → `peer_snapshot { part, lines, done, versionVector, seq, mac }` → `{ received,
 *    versionVector, mac }`, in parts numbered from 0: when the acceptor lacks ops the dialer
 *    no longer keeps in its log, the dialer sends its saved snapshot (JSON lines, with the
 *    piece hashes of each manifest) covering `versionVector`; the acceptor merges it once done.
 * Every message after the handshake carries `seq` (the dialer's request number) and a
 * MAC keyed from the handshake; the acceptor's replies carry the MAC of the same number.
 * The dialer's `addr` lets the acceptor dial back: a tracker told of one peer
 * learns the rest of the cluster as they dial it, and follows a peer that
 * restarts on another port.
 */
import { randomBytes } from "node:crypto";
import { AppError } from "./errors.ts";
import { hex64, hostPort, optional, str, uint } from "./validate.ts";

/** Most lines in one `peer_snapshot` message. */
export const MAX_SNAPSHOT_PART_LINES = 10_000;
/** Most ops in one `peer_ops` message. */
export const MAX_PEER_BATCH_OPS = 10_000;
/** Most origins in a version vector. */
export const MAX_VERSION_VECTOR_ORIGINS = 1024;
/** Largest tracker id. */
export const MAX_TRACKER_ID = 99_999;

/** A version vector on the wire: origin id (as a string key) → highest contiguous seq. */
export type WireVersionVector = Record<string, number>;

/** Any tracker-to-tracker request. */
export type PeerRequest =
  | {
    cmd: "peer_hello";
    from: number;
    nonce: string;
    /** The dialer's own control address, so the acceptor can dial it back. */
    addr?: string;
    /** The address the dialer dialed. */
    to: string;
    /** The address its connection reached, as resolved. */
    reached: string;
  }
  | { cmd: "peer_auth"; proof: string }
  | { cmd: "peer_ops"; ops: unknown[]; seq: number; mac: string }
  | { cmd: "peer_digest"; seq: number; mac: string }
  | {
    cmd: "peer_snapshot";
    part: number;
    lines: string[];
    done: boolean;
    /** The version vector as sent (the MAC covers it), checked by {@link parseVersionVector}. */
    versionVector: WireVersionVector;
    seq: number;
    mac: string;
  };

/** Reply data per tracker-to-tracker command. */
export interface PeerReplies {
  peer_hello: { id: number; nonce: string };
  peer_auth: { proof: string; versionVector: WireVersionVector; mac: string };
  peer_ops: { accepted: number; versionVector: WireVersionVector; paused: number[]; mac: string };
  peer_digest: { digest: string; versionVector: WireVersionVector; mac: string };
  peer_snapshot: { received: number; versionVector: WireVersionVector; mac: string };
}

/** Longest address text in a handshake. */
const MAX_ADDR_CHARS = 300;

/**
 * Tells whether a raw message is a tracker-to-tracker command.
 * @returns true when `cmd` starts with `peer_`
 */
export function isPeerCommand(raw: Record<string, unknown>): boolean {
  return typeof raw["cmd"] === "string" && raw["cmd"].startsWith("peer_");
}

/**
 * Validates a tracker-to-tracker request (the ops inside `peer_ops` are checked one by one later).
 * @returns the typed request
 * @throws {AppError} UNKNOWN_COMMAND or BAD_REQUEST
 */
export function parsePeerRequest(raw: Record<string, unknown>): PeerRequest {
  switch (raw["cmd"]) {
    case "peer_hello": {
      const from = uint(raw, "from", MAX_TRACKER_ID);
      if (from === 0) throw new AppError("BAD_REQUEST", 'Field "from" must be a tracker id');
      const addr = optional(raw, "addr", hostPort);
      return {
        cmd: "peer_hello",
        from,
        nonce: hex64(raw, "nonce"),
        ...(addr === undefined ? {} : { addr }),
        to: str(raw, "to", MAX_ADDR_CHARS),
        reached: str(raw, "reached", MAX_ADDR_CHARS),
      };
    }
    case "peer_auth":
      return { cmd: "peer_auth", proof: hex64(raw, "proof") };
    case "peer_ops": {
      const ops = raw["ops"];
      if (!Array.isArray(ops) || ops.length > MAX_PEER_BATCH_OPS) {
        throw new AppError(
          "BAD_REQUEST",
          `Field "ops" must be a list of at most ${MAX_PEER_BATCH_OPS}`,
        );
      }
      return { cmd: "peer_ops", ops, seq: uint(raw, "seq"), mac: hex64(raw, "mac") };
    }
    case "peer_digest":
      return { cmd: "peer_digest", seq: uint(raw, "seq"), mac: hex64(raw, "mac") };
    case "peer_snapshot":
      return parseSnapshotPart(raw);
    default:
      throw new AppError("UNKNOWN_COMMAND", `Unknown command "${String(raw["cmd"]).slice(0, 64)}"`);
  }
}

function parseSnapshotPart(raw: Record<string, unknown>): PeerRequest {
  const lines = raw["lines"];
  if (
    !Array.isArray(lines) || lines.length > MAX_SNAPSHOT_PART_LINES ||
    !lines.every((line) => typeof line === "string")
  ) {
    throw new AppError(
      "BAD_REQUEST",
      `Field "lines" must be a list of at most ${MAX_SNAPSHOT_PART_LINES} strings`,
    );
  }
  if (typeof raw["done"] !== "boolean") {
    throw new AppError("BAD_REQUEST", 'Field "done" must be true or false');
  }
  parseVersionVector(raw["versionVector"]);
  return {
    cmd: "peer_snapshot",
    part: uint(raw, "part"),
    lines,
    done: raw["done"],
    versionVector: raw["versionVector"] as WireVersionVector,
    seq: uint(raw, "seq"),
    mac: hex64(raw, "mac"),
  };
}

/**
 * Reads a version vector from a reply.
 * @returns origin → seq
 * @throws {AppError} BAD_REQUEST when it is not an object of positive integers keyed by tracker id
 */
export function parseVersionVector(raw: unknown): Map<number, number> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new AppError("BAD_REQUEST", "A version vector must be an object");
  }
  const entries = Object.entries(raw);
  if (entries.length > MAX_VERSION_VECTOR_ORIGINS) {
    throw new AppError("BAD_REQUEST", "A version vector has too many origins");
  }
  const vv = new Map<number, number>();
  for (const [key, seq] of entries) {
    const origin = Number(key);
    if (
      !/^\d{1,5}$/.test(key) || origin > MAX_TRACKER_ID || typeof seq !== "number" ||
      !Number.isSafeInteger(seq) || seq < 0
    ) {
      throw new AppError("BAD_REQUEST", `Version vector entry "${key.slice(0, 16)}" is not valid`);
    }
    if (seq > 0) vv.set(origin, seq);
  }
  return vv;
}

/**
 * A fresh random nonce for the handshake.
 * @returns 32 random bytes in hex
 */
export function newNonce(): string {
  return randomBytes(32).toString("hex");
}
