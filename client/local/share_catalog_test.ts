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
  catalog.setShares([{ path: "/a", manifest: manifest("a", 2), group: "g1" }]);
  const file = catalog.lookup("a".repeat(64));
  assert.equal(file?.path, "/a");
  assert.deepEqual(file?.groups, ["g1"]);
  assert.deepEqual([0, 1, 2, -1].map((i) => file!.hasPiece(i)), [true, true, false, false]);
  assert.equal(catalog.lookup("b".repeat(64)), undefined);
  catalog.setShares([]);
  assert.equal(catalog.lookup("a".repeat(64)), undefined);
});

Deno.test("LocalCatalog.lookup() serves only verified pieces of a download in progress", () => {
  const catalog = new LocalCatalog();
  const b = manifest("b", 3);
  catalog.addPartial(7, { path: "/b.part", manifest: b, group: "g2", hasPiece: (i) => i === 1 });
  const file = catalog.lookup("b".repeat(64));
  assert.equal(file?.path, "/b.part");
  assert.deepEqual(file?.groups, ["g2"]);
  assert.deepEqual([0, 1, 2].map((i) => file!.hasPiece(i)), [false, true, false]);
  catalog.setShares([{ path: "/b", manifest: b, group: "g1" }]);
  assert.equal(catalog.lookup("b".repeat(64))?.path, "/b");
  assert.deepEqual(catalog.lookup("b".repeat(64))?.groups, ["g1", "g2"]);
  catalog.removePartial(7);
  catalog.setShares([]);
  assert.equal(catalog.lookup("b".repeat(64)), undefined);
});

Deno.test("LocalCatalog.setShares() lists every group one file is shared in", () => {
  const catalog = new LocalCatalog();
  const a = manifest("a", 1);
  catalog.setShares([
    { path: "/a", manifest: a, group: "g1" },
    { path: "/copy/a", manifest: a, group: "g2" },
    { path: "/a", manifest: a, group: "g1" },
  ]);
  assert.deepEqual(catalog.lookup("a".repeat(64))?.groups, ["g1", "g2"]);
});
