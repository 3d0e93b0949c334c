import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { manifestOf } from "./_test_helpers.ts";
import type { Op } from "./ops.ts";
import {
  compareSummaries,
  packPieceHashes,
  piecesKeyOf,
  summarize,
  unpackPieceHashes,
} from "./piece_hashes.ts";
import { OpStore } from "./storage.ts";

const STAMP = "000000000001000.000000.00001";

function shareOp(seq: number, content: string, pieceSize: number): Op {
  const manifest = manifestOf(content, pieceSize);
  return {
    origin: 1,
    seq,
    stamp: STAMP,
    body: {
      type: "share_file",
      group: "g",
      epoch: STAMP,
      name: `f${seq}`,
      user: "u",
      addr: "127.0.0.1:9",
      fileHash: manifest.fileHash,
      manifest,
    },
  };
}

Deno.test("piece hashes pack to 32 bytes each and back, under the hash of those bytes", () => {
  const manifest = manifestOf("packed", 5);
  const packed = packPieceHashes(manifest.pieceHashes);
  assert.equal(packed.length, 32 * manifest.pieceHashes.length);
  assert.deepEqual(unpackPieceHashes(packed), manifest.pieceHashes);
  const { summary } = summarize(manifest);
  assert.deepEqual(summary, {
    fileHash: manifest.fileHash,
    size: manifest.size,
    pieceSize: manifest.pieceSize,
    pieces: manifest.pieceHashes.length,
    piecesKey: piecesKeyOf(packed),
  });
  const other = summarize({ ...manifest, pieceHashes: manifest.pieceHashes.toReversed() });
  assert.notEqual(compareSummaries(summary, other.summary), 0);
  assert.equal(
    Math.sign(compareSummaries(summary, other.summary)),
    -Math.sign(compareSummaries(other.summary, summary)),
  );
});

Deno.test("OpStore keeps a manifest's piece hashes apart, once, and reads them after a reopen", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new OpStore(dir);
    const op = shareOp(1, "content", 7);
    const hashes = op.body.type === "share_file" ? op.body.manifest!.pieceHashes : [];
    const key = summarize(manifestOf("content", 7)).summary.piecesKey;
    assert.equal(store.readPieces(key), undefined);
    store.append([op]);
    store.close();
    const reopened = new OpStore(dir);
    assert.deepEqual(unpackPieceHashes(reopened.readPieces(key)!), hashes);
    reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OpStore moves the piece hashes of an older log out of its ops and drops its snapshot", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new OpStore(dir);
    store.append([shareOp(1, "old", 3)]);
    store.saveSnapshot('{"version":2}', new Map([[1, 1]]));
    store.close();
    // As a log written before piece hashes were kept apart.
    const db = new DatabaseSync(`${dir}/tracker.db`);
    db.exec("DROP TABLE piece_hashes");
    db.close();
    const reopened = new OpStore(dir);
    const key = summarize(manifestOf("old", 3)).summary.piecesKey;
    assert.deepEqual(
      unpackPieceHashes(reopened.readPieces(key)!),
      manifestOf("old", 3).pieceHashes,
    );
    assert.equal(reopened.loadSnapshot(), undefined);
    reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
