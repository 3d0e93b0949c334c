/**
 * A token bucket for the seeder's upload limit. Pure: the caller passes the
 * time, and sleeps for the wait this returns before sending. Bytes are
 * granted whole (a piece is never split), so a piece larger than one second
 * of the rate still goes out, and the bucket simply runs into debt for it.
 */

/** A bucket refilled at `bytesPerSec`, holding at most one second of it. */
export interface TokenBucket {
  bytesPerSec: number;
  tokens: number;
  lastMs: number;
}

/**
 * A full bucket.
 * @param bytesPerSec the upload limit, > 0
 * @param nowMs the current time
 * @returns the bucket
 * @throws {RangeError} when the rate is not positive
 */
export function createBucket(bytesPerSec: number, nowMs: number): TokenBucket {
  if (!(bytesPerSec > 0)) throw new RangeError("An upload limit must be positive");
  return { bytesPerSec, tokens: bytesPerSec, lastMs: nowMs };
}

/**
 * Takes `bytes` from the bucket.
 * @param bucket the bucket; updated in place
 * @param bytes bytes about to be sent
 * @param nowMs the current time
 * @returns how long to wait before sending them, in ms (0 when they may go now)
 */
export function takeTokens(bucket: TokenBucket, bytes: number, nowMs: number): number {
  const elapsedMs = Math.max(0, nowMs - bucket.lastMs);
  bucket.tokens = Math.min(
    bucket.bytesPerSec,
    bucket.tokens + elapsedMs * bucket.bytesPerSec / 1000,
  );
  bucket.lastMs = nowMs;
  bucket.tokens -= bytes;
  return bucket.tokens >= 0 ? 0 : Math.ceil(-bucket.tokens * 1000 / bucket.bytesPerSec);
}
