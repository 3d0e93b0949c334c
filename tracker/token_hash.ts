/**
 * Session tokens are kept only as hashes: the op log, the snapshot and the
 * memory of every tracker hold SHA-256 of a token, so a copy of a tracker's
 * data opens no session. A token is 32 random bytes, so a plain hash cannot
 * be reversed by guessing; no salt or slow hash is needed.
 */
import { createHash } from "node:crypto";

/**
 * The hash a tracker keeps of a session token.
 * @param token the token as the client sends it
 * @returns the lowercase hex SHA-256 of the token's text
 */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
