/**
 * Authentication of a link between two trackers, with or without TLS.
 *
 * The handshake proofs bind the secret, both nonces, both tracker ids, the
 * role of the prover, and the address the dialer meant to reach (as dialed
 * and as resolved). A relay on another tracker's address cannot make a
 * proof fit: the acceptor checks the dialed address against its own, and a
 * rewritten address breaks the dialer's proof.
 *
 * After the handshake each side derives a key per direction from the same
 * inputs, and every request and reply on the link carries a sequence number
 * and an HMAC over it, the command and the payload: nothing can be injected,
 * replayed, reordered or altered without the other end noticing.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** What a handshake binds together. */
export interface HandshakeInput {
  dialerNonce: string;
  acceptorNonce: string;
  dialerId: number;
  acceptorId: number;
  /** The address the dialer dialed, as configured or announced. */
  dialedAddr: string;
  /** The address the dialer's connection reached, as the network resolved it. */
  reachedAddr: string;
}

/** Which end proves or sends. */
export type LinkRole = "acceptor" | "dialer";

function hmacHex(key: string, parts: unknown[]): string {
  // JSON of a list: no field can spill into the next one.
  return createHmac("sha256", key).update(JSON.stringify(parts)).digest("hex");
}

function bound(input: HandshakeInput): unknown[] {
  return [
    input.dialerNonce,
    input.acceptorNonce,
    input.dialerId,
    input.acceptorId,
    input.dialedAddr,
    input.reachedAddr,
  ];
}

/**
 * Computes one side's handshake proof.
 * @param secret the shared cluster secret
 * @returns HMAC-SHA256 in hex
 */
export function linkProof(secret: string, role: LinkRole, input: HandshakeInput): string {
  return hmacHex(secret, ["proof", role, ...bound(input)]);
}

/**
 * Checks a proof or a MAC in constant time.
 * @returns true when `got` equals `expected`
 */
export function proofMatches(expected: string, got: unknown): boolean {
  if (typeof got !== "string") return false;
  const a = new TextEncoder().encode(expected);
  const b = new TextEncoder().encode(got);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The keys of one authenticated link: one per direction, both derived from
 * the secret and the handshake, so each link (and each direction) has its own.
 */
export class LinkChannel {
  #keys: Record<LinkRole, string>;

  /** @param secret the shared cluster secret; `input` the completed handshake */
  constructor(secret: string, input: HandshakeInput) {
    const key = (role: LinkRole) => hmacHex(secret, ["key", role, ...bound(input)]);
    this.#keys = { dialer: key("dialer"), acceptor: key("acceptor") };
  }

  /**
   * The MAC of one message: the dialer's request number `seq`, or the acceptor's reply to it.
   * @param from the sending end
   * @param cmd the command the message belongs to
   * @param payload the message fields besides `seq` and `mac`
   * @returns HMAC-SHA256 in hex
   */
  mac(from: LinkRole, seq: number, cmd: string, payload: unknown): string {
    return hmacHex(this.#keys[from], [seq, cmd, payload]);
  }

  /**
   * Checks a message's MAC.
   * @returns true when `got` is the MAC of this message
   */
  verify(from: LinkRole, seq: number, cmd: string, payload: unknown, got: unknown): boolean {
    return proofMatches(this.mac(from, seq, cmd, payload), got);
  }
}
