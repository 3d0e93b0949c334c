import assert from "node:assert/strict";
import { AppError } from "./errors.ts";
import { encodeLine, MAX_LINE_BYTES } from "./framing.ts";
import {
  fileHashOf,
  MAX_FILE_BYTES,
  MAX_PIECE_SIZE_BYTES,
  MAX_PIECES,
  parseManifest,
  pieceCount,
  pieceLength,
  pieceSizeFor,
} from "./manifest.ts";

const H = "0".repeat(64);
const ID_9_4 = fileHashOf({ size: 9, pieceSize: 4, pieceHashes: [H, H, H] });

Deno.test("pieceCount() and pieceLength() cut a file into pieces with a short last one", () => {
  assert.equal(pieceCount(0, 4), 0);
  assert.equal(pieceCount(8, 4), 2);
  assert.equal(pieceCount(9, 4), 3);
  const m = { size: 9, pieceSize: 4 };
  assert.deepEqual([0, 1, 2, 3].map((i) => pieceLength(m, i)), [4, 4, 1, 0]);
});

Deno.test("parseManifest() accepts a consistent manifest", () => {
  const raw = { fileHash: ID_9_4, size: 9, pieceSize: 4, pieceHashes: [H, H, H], extra: 1 };
  assert.deepEqual(parseManifest(raw), {
    fileHash: ID_9_4,
    size: 9,
    pieceSize: 4,
    pieceHashes: [H, H, H],
  });
});

Deno.test("parseManifest() refuses inconsistent or ill-typed manifests", () => {
  const cases: Record<string, unknown>[] = [
    { fileHash: ID_9_4, size: 9, pieceSize: 4, pieceHashes: [H, H] },
    { fileHash: H, size: 9, pieceSize: 4, pieceHashes: [H, H, H] },
    { fileHash: ID_9_4, size: 10, pieceSize: 4, pieceHashes: [H, H, H] },
    { fileHash: ID_9_4, size: 9, pieceSize: 4, pieceHashes: [H, H, "1".repeat(64)] },
    { fileHash: H, size: 9, pieceSize: 0, pieceHashes: [] },
    { fileHash: H, size: 9, pieceSize: 4, pieceHashes: [H, H, "x"] },
    { fileHash: "x", size: 0, pieceSize: 4, pieceHashes: [] },
    { fileHash: H, size: -1, pieceSize: 4, pieceHashes: [] },
    { fileHash: H, size: 0, pieceSize: 4, pieceHashes: "none" },
    { fileHash: H, size: 1, pieceSize: 2 ** 30, pieceHashes: [H] },
    {
      fileHash: H,
      size: (MAX_PIECES + 1) * 4,
      pieceSize: 4,
      pieceHashes: new Array(MAX_PIECES + 1).fill(H),
    },
  ];
  for (const raw of cases) {
    assert.throws(
      () => parseManifest(raw),
      (e) => e instanceof AppError && e.code === "BAD_REQUEST",
    );
  }
});

Deno.test("fileHashOf() binds every piece hash, their order, the size and the piece size", () => {
  const a = "a".repeat(64);
  const b = "b".repeat(64);
  const base = fileHashOf({ size: 8, pieceSize: 4, pieceHashes: [a, b] });
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(fileHashOf({ size: 8, pieceSize: 4, pieceHashes: [a, b] }), base);
  const others = [
    fileHashOf({ size: 8, pieceSize: 4, pieceHashes: [b, a] }),
    fileHashOf({ size: 7, pieceSize: 4, pieceHashes: [a, b] }),
    fileHashOf({ size: 8, pieceSize: 5, pieceHashes: [a, b] }),
    fileHashOf({ size: 8, pieceSize: 4, pieceHashes: [a, a] }),
  ];
  assert.equal(new Set([base, ...others]).size, 5);
});

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

Deno.test("pieceSizeFor() doubles from 512 KiB to keep 512 pieces, then up to MAX_PIECES", () => {
  assert.equal(pieceSizeFor(0), 512 * KiB);
  assert.equal(pieceSizeFor(256 * MiB), 512 * KiB);
  assert.equal(pieceSizeFor(256 * MiB + 1), 1 * MiB);
  assert.equal(pieceSizeFor(GiB), 2 * MiB);
  assert.equal(pieceSizeFor(32 * GiB), 64 * MiB);
  assert.equal(pieceSizeFor(100 * GiB), 64 * MiB);
  assert.equal(pieceSizeFor(TiB), 64 * MiB);
  assert.equal(MAX_FILE_BYTES, TiB);
  for (const size of [1, 3 * GiB, 17 * GiB + 5, 300 * GiB, TiB - 1, TiB]) {
    assert.ok(pieceCount(size, pieceSizeFor(size)) <= MAX_PIECES, `${size}`);
  }
});

/** A manifest of `size` bytes at the piece size a client picks, with synthetic hashes. */
function syntheticManifest(size: number) {
  const pieceSize = pieceSizeFor(size);
  const pieceHashes = Array.from(
    { length: pieceCount(size, pieceSize) },
    (_, i) => i.toString(16).padStart(64, "a"),
  );
  return { fileHash: fileHashOf({ size, pieceSize, pieceHashes }), size, pieceSize, pieceHashes };
}

Deno.test("a 1 TiB manifest is accepted and fits a request line with room for a reply", () => {
  const raw = syntheticManifest(TiB);
  const manifest = parseManifest(raw);
  assert.equal(manifest.pieceHashes.length, MAX_PIECES);
  assert.equal(manifest.pieceSize, MAX_PIECE_SIZE_BYTES);
  const request = { id: 1, cmd: "upload_file", group: "g".repeat(64), name: "n".repeat(255) };
  const line = encodeLine({ ...request, manifest: raw, token: "t".repeat(128) });
  assert.ok(line.length < MAX_LINE_BYTES / 4, `${line.length} bytes`);
});

Deno.test("a manifest past 1 TiB or past MAX_PIECES is refused with a clear message", () => {
  const past = { ...syntheticManifest(TiB), size: TiB + 1 };
  const tooBig = { ...past, fileHash: fileHashOf(past) };
  assert.throws(() => parseManifest(tooBig), /larger than 1099511627776 bytes \(1 TiB\)/);
  const size = (MAX_PIECES + 1) * 512 * KiB;
  const tooMany = { ...syntheticManifest(size), pieceSize: 512 * KiB };
  tooMany.pieceHashes = Array.from({ length: MAX_PIECES + 1 }, () => H);
  tooMany.fileHash = fileHashOf(tooMany);
  assert.throws(() => parseManifest(tooMany), /at most 16384 pieces/);
});
