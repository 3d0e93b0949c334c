/**
 * A manifest as the tracker's state holds it: everything but the piece hashes,
 * which live on disk (storage.ts) as raw bytes, 32 per piece, and are read
 * only when a download asks. So the state's memory depends on how many files
 * there are, not on how many pieces they have. The pieces are named by the
 * SHA-256 of their bytes, so the same list is stored once and every tracker
 * names it alike.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { Manifest } from "../protocol/manifest.ts";

/** Bytes of one piece hash. */
const HASH_BYTES = 32;

/** A manifest without its piece hashes. */
export interface ManifestSummary {
  fileHash: string;
  size: number;
  pieceSize: number;
  /** How many piece hashes the manifest lists. */
  pieces: number;
  /** SHA-256 (hex) of the piece hashes' raw bytes, in order: the key they are stored under. */
  piecesKey: string;
}

/**
 * Packs hex piece hashes into raw bytes.
 * @returns 32 bytes per hash, in order
 */
export function packPieceHashes(hashes: readonly string[]): Uint8Array {
  const bytes = Buffer.from(hashes.join(""), "hex");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Unpacks raw piece hashes.
 * @returns lowercase hex hashes, in order
 */
export function unpackPieceHashes(bytes: Uint8Array): string[] {
  const hashes: string[] = [];
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + HASH_BYTES <= bytes.length; at += HASH_BYTES) {
    hashes.push(buffer.toString("hex", at, at + HASH_BYTES));
  }
  return hashes;
}

/**
 * The key piece hashes are stored under.
 * @returns SHA-256 of their packed bytes, lowercase hex
 */
export function piecesKeyOf(packed: Uint8Array): string {
  return createHash("sha256").update(packed).digest("hex");
}

/**
 * Splits a manifest into its summary and its packed piece hashes.
 * @returns both
 */
export function summarize(manifest: Manifest): { summary: ManifestSummary; packed: Uint8Array } {
  const known = summaries.get(manifest);
  if (known !== undefined) return known;
  const packed = packPieceHashes(manifest.pieceHashes);
  const { fileHash, size, pieceSize } = manifest;
  const summary = { fileHash, size, pieceSize, pieces: manifest.pieceHashes.length };
  const split = { summary: { ...summary, piecesKey: piecesKeyOf(packed) }, packed };
  summaries.set(manifest, split);
  return split;
}

// An op's manifest is split when it is applied and again when it is stored: once is enough
// (the two cost a tenth of the tracker's time under a stream of uploads). Ops are not changed
// after they are made, so a manifest object always splits the same way.
const summaries = new WeakMap<Manifest, { summary: ManifestSummary; packed: Uint8Array }>();

/**
 * Orders two manifests of the same file hash, so a conflict keeps the same one everywhere.
 * @returns negative, zero or positive like a sort comparator
 */
export function compareSummaries(a: ManifestSummary, b: ManifestSummary): number {
  if (a.size !== b.size) return a.size - b.size;
  if (a.pieceSize !== b.pieceSize) return a.pieceSize - b.pieceSize;
  if (a.pieces !== b.pieces) return a.pieces - b.pieces;
  return a.piecesKey < b.piecesKey ? -1 : a.piecesKey > b.piecesKey ? 1 : 0;
}
