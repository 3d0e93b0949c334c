/**
 * The cluster key: one Ed25519 key pair that every tracker of a cluster signs
 * with, and that clients and seeders check signatures against.
 *
 * Trackers that share a cluster secret derive the same key from it (HKDF
 * over SHA-256 to a 32-byte Ed25519 seed), so any of them can sign a download
 * ticket or prove to a client that it belongs to the cluster, and none has to
 * send the key to another. Public keys and signatures travel as base64url of
 * their raw bytes (32 and 64 bytes). Verification never throws: a malformed
 * key or signature simply does not verify.
 */
import {
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from "node:crypto";

/** Bytes of an Ed25519 seed (the private key). */
export const SIGNING_SEED_BYTES = 32;
/** Bytes of a raw Ed25519 public key. */
const PUBLIC_KEY_BYTES = 32;
/** Bytes of an Ed25519 signature. */
const SIGNATURE_BYTES = 64;

// DER prefixes that wrap a raw Ed25519 seed (PKCS#8) and public key (SPKI).
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

const HKDF_SALT = "p2p cluster key v1";
const HKDF_INFO = "ed25519 signing seed";

/** A tracker's signing key and the public half clients pin. */
export interface ClusterKey {
  readonly privateKey: KeyObject;
  /** The public key, base64url of its 32 raw bytes. */
  readonly publicKey: string;
}

/**
 * The key pair of a 32-byte seed.
 * @returns the key pair
 * @throws {RangeError} when the seed is not 32 bytes
 */
export function clusterKeyFromSeed(seed: Uint8Array): ClusterKey {
  if (seed.length !== SIGNING_SEED_BYTES) {
    throw new RangeError(`A signing seed is ${SIGNING_SEED_BYTES} bytes, not ${seed.length}`);
  }
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { privateKey, publicKey: spki.subarray(SPKI_PREFIX.length).toString("base64url") };
}

/**
 * The key every tracker holding `secret` derives alike.
 * @returns the cluster's key pair
 */
export function deriveClusterKey(secret: string): ClusterKey {
  const seed = hkdfSync("sha256", secret, HKDF_SALT, HKDF_INFO, SIGNING_SEED_BYTES);
  return clusterKeyFromSeed(new Uint8Array(seed));
}

/**
 * A fresh random seed, for a tracker that has no cluster secret.
 * @returns 32 random bytes
 */
export function newSigningSeed(): Uint8Array {
  return new Uint8Array(randomBytes(SIGNING_SEED_BYTES));
}

/**
 * Signs `data` with the cluster key.
 * @returns the signature, base64url
 */
export function signBytes(key: ClusterKey, data: Uint8Array): string {
  return sign(null, data, key.privateKey).toString("base64url");
}

/**
 * Checks a signature against a public key; false for anything malformed.
 * @returns true only for a valid signature of `data` by that key
 */
export function verifyBytes(publicKey: string, data: Uint8Array, signature: string): boolean {
  const raw = Buffer.from(publicKey, "base64url");
  const sig = Buffer.from(signature, "base64url");
  if (raw.length !== PUBLIC_KEY_BYTES || sig.length !== SIGNATURE_BYTES) return false;
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, raw]),
      format: "der",
      type: "spki",
    });
    return verify(null, data, key, sig);
  } catch {
    return false;
  }
}
