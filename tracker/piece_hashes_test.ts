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
    db.exec("DROP TABLE piece_lists");
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

Deno.test("OpStore moves piece hashes kept by key into lists kept by rowid, and deletes them by key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new OpStore(dir);
    store.close();
    // As a log written when piece hashes were kept in a table keyed by their key.
    const db = new DatabaseSync(`${dir}/tracker.db`);
    const packed = packPieceHashes(manifestOf("kept by key", 5).pieceHashes);
    const key = piecesKeyOf(packed);
    db.exec(`DROP TABLE piece_lists;
      CREATE TABLE piece_hashes (key TEXT PRIMARY KEY, hashes BLOB NOT NULL) WITHOUT ROWID;`);
    db.prepare("INSERT INTO piece_hashes VALUES (?, ?)").run(key, packed);
    db.close();
    const reopened = new OpStore(dir);
    try {
      assert.deepEqual(reopened.readPieces(key), packed);
      reopened.append([shareOp(1, "another", 2)]);
      const other = summarize(manifestOf("another", 2)).summary.piecesKey;
      assert.equal(reopened.sweepPieces(new Map([[other, true]])), 1);
      assert.equal(reopened.readPieces(key), undefined);
      assert.equal(reopened.readPieces(other)?.length, 3 * 32);
    } finally {
      reopened.close();
    }
    const check = new DatabaseSync(`${dir}/tracker.db`);
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE name = 'piece_hashes'")
      .all();
    check.close();
    assert.deepEqual(tables, [], "the table keyed by key is gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
