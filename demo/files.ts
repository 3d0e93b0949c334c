/**
 * The demo's file work: writing a file of random bytes while hashing it, and
 * hashing a file on disk, both streaming with constant memory.
 */
import { createHash } from "node:crypto";

const CHUNK_BYTES = 64 * 1024; // the most crypto.getRandomValues fills at once

/**
 * Writes `sizeBytes` random bytes to `path`.
 * @returns the file's SHA-256, lowercase hex
 */
export async function writeRandomFile(path: string, sizeBytes: number): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const chunk = new Uint8Array(CHUNK_BYTES);
    for (let written = 0; written < sizeBytes;) {
      const part = chunk.subarray(0, Math.min(CHUNK_BYTES, sizeBytes - written));
      crypto.getRandomValues(part);
      hash.update(part);
      for (let offset = 0; offset < part.length;) {
        offset += await file.write(part.subarray(offset));
      }
      written += part.length;
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

/**
 * Hashes a file.
 * @returns its SHA-256, lowercase hex
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1024 * 1024);
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}
