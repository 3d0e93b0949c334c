import assert from "node:assert/strict";
import { AppError } from "./errors.ts";
import { fileHashOf, MAX_PIECES, parseManifest, pieceCount, pieceLength } from "./manifest.ts";

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
