/**
 * Builds a file's manifest in one streaming pass with constant memory: each
 * chunk read feeds the current piece's hash, and the file's id is then
 * derived from the piece hashes alone (protocol/manifest.ts `fileHashOf`), so
 * a 10 GiB file needs no more memory than a small one and one SHA-256 pass.
 */
import { createHash, type Hash } from "node:crypto";
import { AppError } from "../../protocol/errors.ts";
import {
  fileHashOf,
  type Manifest,
  MAX_FILE_BYTES,
  MAX_PIECES,
  pieceSizeFor,
} from "../../protocol/manifest.ts";

const CHUNK_BYTES = 1024 * 1024;

/**
 * Hashes a file into its manifest.
 * @param path the file to share
 * @param pieceSize bytes per piece @default pieceSizeFor(the file's size)
 * @param shownAs how error messages name the file, e.g. as the user typed it @default path
 * @returns its size, piece hashes and id
 * @throws {AppError} NOT_FOUND when it does not exist, BAD_REQUEST when it is not a
 *   regular file, is larger than MAX_FILE_BYTES or has too many pieces, FORBIDDEN when it cannot be read
 */
export async function hashFile(
  path: string,
  chosenPieceSize: number | undefined = undefined,
  shownAs: string = path,
): Promise<Manifest> {
  if (
    chosenPieceSize !== undefined &&
    (!Number.isSafeInteger(chosenPieceSize) || chosenPieceSize <= 0)
  ) {
    throw new AppError("BAD_REQUEST", `Piece size ${chosenPieceSize} must be a positive integer`);
  }
  // The one stat of an upload: these checks and the open happen here only.
  const file = await openForHashing(path, shownAs);
  try {
    const { size: statSize } = await file.stat();
    if (statSize > MAX_FILE_BYTES) {
      throw new AppError(
        "BAD_REQUEST",
        `Cannot share "${shownAs}": it is larger than 1 TiB, the largest file a manifest can describe`,
      );
    }
    const pieceSize = chosenPieceSize ?? pieceSizeFor(statSize);
    const pieceHashes: string[] = [];
    const buffer = new Uint8Array(Math.max(CHUNK_BYTES, pieceSize));
    let piece: Hash = createHash("sha256");
    let inPiece = 0;
    let size = 0;
    while (true) {
      const n = await file.read(buffer);
      if (n === null) break;
      const chunk = buffer.subarray(0, n);
      size += n;
      let offset = 0;
      while (offset < n) {
        const take = Math.min(pieceSize - inPiece, n - offset);
        piece.update(chunk.subarray(offset, offset + take));
        inPiece += take;
        offset += take;
        if (inPiece === pieceSize) {
          pieceHashes.push(piece.digest("hex"));
          piece = createHash("sha256");
          inPiece = 0;
        }
      }
      if (pieceHashes.length > MAX_PIECES) throw tooManyPieces(shownAs, pieceSize);
    }
    if (inPiece > 0) pieceHashes.push(piece.digest("hex"));
    if (pieceHashes.length > MAX_PIECES) throw tooManyPieces(shownAs, pieceSize);
    return { fileHash: fileHashOf({ size, pieceSize, pieceHashes }), size, pieceSize, pieceHashes };
  } finally {
    file.close();
  }
}

function tooManyPieces(path: string, pieceSize: number): AppError {
  return new AppError(
    "BAD_REQUEST",
    `Cannot share "${path}": more than ${MAX_PIECES} pieces of ${pieceSize} bytes`,
  );
}

async function openForHashing(path: string, shownAs: string): Promise<Deno.FsFile> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      throw new AppError("BAD_REQUEST", `Cannot share "${shownAs}": it is a directory`);
    }
    if (!info.isFile) {
      throw new AppError("BAD_REQUEST", `Cannot share "${shownAs}": it is not a regular file`);
    }
    return await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof Deno.errors.NotFound) {
      throw new AppError("NOT_FOUND", `Cannot share "${shownAs}": no such file`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new AppError("FORBIDDEN", `Cannot share "${shownAs}": permission denied`);
    }
    throw error;
  }
}
