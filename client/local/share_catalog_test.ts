import assert from "node:assert/strict";
import { LocalCatalog } from "./share_catalog.ts";

const manifest = (c: string, pieces: number) => ({
  fileHash: c.repeat(64),
  size: pieces * 10,
  pieceSize: 10,
  pieceHashes: Array(pieces).fill("0".repeat(64)),
});

Deno.test("LocalCatalog.lookup() finds shared files with every piece", () => {
  const catalog = new LocalCatalog();
  catalog.setShares([{ path: "/a", manifest: manifest("a", 2) }]);
  const file = catalog.lookup("a".repeat(64));
  assert.equal(file?.path, "/a");
  assert.deepEqual([0, 1, 2, -1].map((i) => file!.hasPiece(i)), [true, true, false, false]);
  assert.equal(catalog.lookup("b".repeat(64)), undefined);
  catalog.setShares([]);
  assert.equal(catalog.lookup("a".repeat(64)), undefined);
});

Deno.test("LocalCatalog.lookup() serves only verified pieces of a download in progress", () => {
  const catalog = new LocalCatalog();
  catalog.addPartial(7, { path: "/b.part", manifest: manifest("b", 3), hasPiece: (i) => i === 1 });
  const file = catalog.lookup("b".repeat(64));
  assert.equal(file?.path, "/b.part");
  assert.deepEqual([0, 1, 2].map((i) => file!.hasPiece(i)), [false, true, false]);
  catalog.setShares([{ path: "/b", manifest: manifest("b", 3) }]);
  assert.equal(catalog.lookup("b".repeat(64))?.path, "/b");
  catalog.removePartial(7);
  catalog.setShares([]);
  assert.equal(catalog.lookup("b".repeat(64)), undefined);
});
