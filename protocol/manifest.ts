/**
 * What identifies a shared file's content: its size, piece size, the SHA-256
 * of every piece and of the whole file. Trackers store it; downloaders verify
 * against it.
 */
import { AppError } from "./errors.ts";
import { sha256Hex, uint } from "./validate.ts";

/** Smallest piece size a client picks: 512 KiB. */
export const PIECE_SIZE_BYTES = 512 * 1024;
/** Largest piece size a peer may announce: 64 MiB (a piece travels as one frame). */
export const MAX_PIECE_SIZE_BYTES = 64 * 1024 * 1024;
/**
 * Most pieces one manifest may list. At 67 bytes of JSON per piece hash a
 * manifest stays near 1.1 MiB, far inside the 8 MiB line and reply limits.
 */
export const MAX_PIECES = 16384;
/** Largest file that can be shared: MAX_PIECES pieces of MAX_PIECE_SIZE_BYTES (1 TiB). */
export const MAX_FILE_BYTES = MAX_PIECES * MAX_PIECE_SIZE_BYTES;

/** A file's content description. */
export interface Manifest {
  /** SHA-256 of the whole file, lowercase hex: the file's id. */
  fileHash: string;
  /** Size in bytes. */
  size: number;
  /** Bytes per piece; the last piece may be shorter. */
  pieceSize: number;
  /** SHA-256 of each piece, lowercase hex, in order. */
  pieceHashes: string[];
}

/**
 * The piece size a client picks for a file: the smallest power of two from
 * {@link PIECE_SIZE_BYTES} that keeps the manifest within {@link MAX_PIECES}.
 * @returns bytes per piece; {@link MAX_PIECE_SIZE_BYTES} past {@link MAX_FILE_BYTES}
 */
export function pieceSizeFor(size: number): number {
  let pieceSize = PIECE_SIZE_BYTES;
  while (pieceSize < MAX_PIECE_SIZE_BYTES && pieceCount(size, pieceSize) > MAX_PIECES) {
    pieceSize *= 2;
  }
  return pieceSize;
}

/**
 * Number of pieces a file of `size` bytes has.
 * @returns ceil(size / pieceSize); 0 for an empty file
 */
export function pieceCount(size: number, pieceSize: number): number {
  return Math.ceil(size / pieceSize);
}

/**
 * Length of piece `index` of a file.
 * @returns the piece length in bytes
 */
export function pieceLength(manifest: Pick<Manifest, "size" | "pieceSize">, index: number): number {
  const start = index * manifest.pieceSize;
  return Math.max(0, Math.min(manifest.pieceSize, manifest.size - start));
}

/**
 * Checks a manifest read off the wire.
 * @param raw the `manifest` object of a message
 * @returns a typed, consistent manifest
 * @throws {AppError} BAD_REQUEST when a field is wrong or the piece count does not match the size
 */
export function parseManifest(raw: Record<string, unknown>): Manifest {
  const fileHash = sha256Hex(raw, "fileHash");
  const size = uint(raw, "size");
  if (size > MAX_FILE_BYTES) {
    throw new AppError(
      "BAD_REQUEST",
      `Files larger than ${MAX_FILE_BYTES} bytes (1 TiB) cannot be shared`,
    );
  }
  const pieceSize = uint(raw, "pieceSize", MAX_PIECE_SIZE_BYTES);
  if (pieceSize === 0) throw new AppError("BAD_REQUEST", 'Field "pieceSize" must be positive');
  const hashes = raw["pieceHashes"];
  if (!Array.isArray(hashes)) {
    throw new AppError("BAD_REQUEST", 'Field "pieceHashes" must be a list');
  }
  if (hashes.length > MAX_PIECES) {
    throw new AppError(
      "BAD_REQUEST",
      `A manifest lists at most ${MAX_PIECES} pieces (this one ${hashes.length}): ` +
        "choose a larger piece size, up to 64 MiB",
    );
  }
  if (hashes.length !== pieceCount(size, pieceSize)) {
    throw new AppError("BAD_REQUEST", 'Field "pieceHashes" does not match "size" / "pieceSize"');
  }
  const pieceHashes = hashes.map((_, i) =>
    sha256Hex(hashes as unknown as Record<string, unknown>, String(i))
  );
  return { fileHash, size, pieceSize, pieceHashes };
}
