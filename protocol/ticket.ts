/**
 * Download tickets: the cluster key's signature over (user, group, file hash,
 * not-after time). A tracker hands one out with every `download_file`; a
 * downloader shows it to each seeder once per connection, and the seeder
 * checks it locally against the cluster's public key, with no round trip to a
 * tracker. Tickets are short-lived so that a user who leaves a group loses
 * access within one lifetime: renewal goes through the tracker, which refuses
 * non-members.
 *
 * A ticket is compact binary (base64url in JSON replies, raw bytes in the
 * peer frame that carries it):
 *
 * ```
 * version:u8 (1)  notAfterMs:u64  fileHash:32  userLength:u8 user  groupLength:u8 group  signature:64
 * ```
 *
 * The signature covers a domain tag and every byte before it, so a ticket
 * cannot be taken for any other signed message of the cluster.
 */
import { type ClusterKey, signBytes, verifyBytes } from "./cluster_key.ts";

/** What a ticket grants: `user` may fetch file `fileHash` of `group` until `notAfterMs`. */
export interface TicketClaims {
  user: string;
  group: string;
  /** The file's content hash, 64 lowercase hex. */
  fileHash: string;
  /** Milliseconds since the epoch after which the ticket is refused. */
  notAfterMs: number;
}

/** The outcome of {@link verifyTicket}. */
export type TicketCheck =
  | { ok: true; claims: TicketClaims }
  | { ok: false; message: string };

const VERSION = 1;
const SIGNATURE_BYTES = 64;
const HEADER_BYTES = 1 + 8 + 32;
const MAX_NAME_BYTES = 255;
/** Longest ticket in bytes (two names of 255 bytes). */
export const MAX_TICKET_BYTES = HEADER_BYTES + 2 * (1 + MAX_NAME_BYTES) + SIGNATURE_BYTES;

const DOMAIN = new TextEncoder().encode("p2p download ticket v1\0");
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function claimBytes(claims: TicketClaims): Uint8Array {
  const user = encoder.encode(claims.user);
  const group = encoder.encode(claims.group);
  if (user.length > MAX_NAME_BYTES || group.length > MAX_NAME_BYTES) {
    throw new RangeError(`A ticket's names are at most ${MAX_NAME_BYTES} bytes`);
  }
  if (!/^[0-9a-f]{64}$/.test(claims.fileHash)) {
    throw new TypeError("A ticket's fileHash is 64 lowercase hex");
  }
  if (!Number.isSafeInteger(claims.notAfterMs) || claims.notAfterMs < 0) {
    throw new RangeError("A ticket's notAfterMs is a non-negative integer");
  }
  const bytes = new Uint8Array(HEADER_BYTES + 2 + user.length + group.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = VERSION;
  view.setBigUint64(1, BigInt(claims.notAfterMs));
  bytes.set(Buffer.from(claims.fileHash, "hex"), 9);
  bytes[HEADER_BYTES] = user.length;
  bytes.set(user, HEADER_BYTES + 1);
  bytes[HEADER_BYTES + 1 + user.length] = group.length;
  bytes.set(group, HEADER_BYTES + 2 + user.length);
  return bytes;
}

function signedMessage(body: Uint8Array): Uint8Array {
  const message = new Uint8Array(DOMAIN.length + body.length);
  message.set(DOMAIN);
  message.set(body, DOMAIN.length);
  return message;
}

/**
 * Issues a ticket.
 * @returns the ticket, base64url
 * @throws {RangeError|TypeError} for claims that do not fit the encoding
 */
export function signTicket(key: ClusterKey, claims: TicketClaims): string {
  const body = claimBytes(claims);
  const signature = Buffer.from(signBytes(key, signedMessage(body)), "base64url");
  return Buffer.concat([body, signature]).toString("base64url");
}

/**
 * The raw bytes of a base64url ticket, as the peer frame carries them.
 * @returns the bytes (empty for text that is not base64url)
 */
export function ticketBytes(ticket: string): Uint8Array {
  return new Uint8Array(Buffer.from(ticket, "base64url"));
}

/**
 * Reads a ticket's claims without checking its signature (a downloader uses
 * it to know when to renew; a seeder must use {@link verifyTicket}).
 * @returns the claims, or undefined when the bytes are not a ticket
 */
export function readTicketClaims(bytes: Uint8Array): TicketClaims | undefined {
  if (bytes.length < HEADER_BYTES + 2 + SIGNATURE_BYTES || bytes.length > MAX_TICKET_BYTES) {
    return undefined;
  }
  if (bytes[0] !== VERSION) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const userLength = bytes[HEADER_BYTES]!;
  const groupAt = HEADER_BYTES + 1 + userLength;
  if (groupAt >= bytes.length) return undefined;
  const groupLength = bytes[groupAt]!;
  if (groupAt + 1 + groupLength + SIGNATURE_BYTES !== bytes.length) return undefined;
  const notAfterMs = Number(view.getBigUint64(1));
  if (!Number.isSafeInteger(notAfterMs)) return undefined;
  try {
    return {
      user: decoder.decode(bytes.subarray(HEADER_BYTES + 1, groupAt)),
      group: decoder.decode(bytes.subarray(groupAt + 1, groupAt + 1 + groupLength)),
      fileHash: Buffer.from(bytes.subarray(9, HEADER_BYTES)).toString("hex"),
      notAfterMs,
    };
  } catch {
    return undefined;
  }
}

/**
 * Checks a ticket: well formed, signed by the cluster key, not expired. Never throws.
 * @param publicKey the cluster's public key; undefined (not known yet) refuses every ticket
 * @returns the claims, or why the ticket is refused
 */
export function verifyTicket(
  publicKey: string | undefined,
  bytes: Uint8Array,
  nowMs: number,
): TicketCheck {
  if (publicKey === undefined) {
    return { ok: false, message: "This seeder cannot check tickets: its client is not logged in" };
  }
  const claims = readTicketClaims(bytes);
  if (claims === undefined) return { ok: false, message: "Malformed download ticket" };
  const bodyLength = bytes.length - SIGNATURE_BYTES;
  const signature = Buffer.from(bytes.subarray(bodyLength)).toString("base64url");
  if (!verifyBytes(publicKey, signedMessage(bytes.subarray(0, bodyLength)), signature)) {
    return { ok: false, message: "The download ticket is not signed by this cluster" };
  }
  if (nowMs > claims.notAfterMs) {
    return { ok: false, message: "The download ticket has expired" };
  }
  return { ok: true, claims };
}
