/**
 * How a tracker proves to a client that it belongs to the cluster before the
 * client sends it a password or a token: the client sends `prove { nonce }`
 * (32 fresh random bytes, hex), the tracker answers `{ addr, sig }`, its own
 * client address and an Ed25519 signature with the cluster key over both.
 * The client checks the signature against the key it pinned at its first
 * login, and `addr` against the address it dialed: a relay that forwards to a
 * genuine tracker gets a signature for the tracker's address, not its own.
 * The signed text starts with its own label, so it can never be mistaken for
 * any other signature made with the cluster key.
 */
import { type ClusterKey, signBytes, verifyBytes } from "./cluster_key.ts";
import { AppError } from "./errors.ts";
import { hostPort, str } from "./validate.ts";

/** The `prove` request. */
export interface ProveRequest {
  cmd: "prove";
  nonce: string;
}

/** The `prove` reply. */
export interface ProveReply {
  /** The tracker's client address, host:port. */
  addr: string;
  /** base64url Ed25519 signature of the nonce and `addr`. */
  sig: string;
}

const HEX32 = /^[0-9a-f]{64}$/;

function signedText(nonce: string, addr: string): Uint8Array {
  return new TextEncoder().encode(`p2p tracker proof v1\n${nonce}\n${addr}`);
}

/**
 * Validates a `prove` request.
 * @returns the typed request
 * @throws {AppError} BAD_REQUEST unless `nonce` is 32 bytes in lowercase hex
 */
export function parseProveRequest(raw: Record<string, unknown>): ProveRequest {
  const nonce = raw["nonce"];
  if (typeof nonce !== "string" || !HEX32.test(nonce)) {
    throw new AppError("BAD_REQUEST", 'Field "nonce" must be 32 bytes in lowercase hex');
  }
  return { cmd: "prove", nonce };
}

/**
 * The tracker's answer to `prove`.
 * @param addr the tracker's own client address
 * @returns the reply
 */
export function signTrackerProof(key: ClusterKey, nonce: string, addr: string): ProveReply {
  return { addr, sig: signBytes(key, signedText(nonce, addr)) };
}

/**
 * Checks a `prove` reply: signed by `publicKey`, over this nonce, for one of the addresses.
 * @param addrs the addresses the client dialed (as configured, and as resolved)
 * @returns true only for a genuine answer from a tracker at one of `addrs`
 */
export function verifyTrackerProof(
  publicKey: string,
  nonce: string,
  addrs: readonly string[],
  reply: unknown,
): boolean {
  if (typeof reply !== "object" || reply === null) return false;
  const raw = reply as Record<string, unknown>;
  let addr: string;
  let sig: string;
  try {
    addr = hostPort(raw, "addr");
    sig = str(raw, "sig", 256);
  } catch {
    return false;
  }
  return addrs.includes(addr) && verifyBytes(publicKey, signedText(nonce, addr), sig);
}
