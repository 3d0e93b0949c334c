import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHash } from "node:crypto";
import { WholeFileHasher } from "./whole_file_hasher.ts";

Deno.test("WholeFileHasher hashes pieces in order, holding near ones and reading back the rest", async () => {
  const pieces = Array.from(
    { length: 8 },
    (_, i) => Uint8Array.from({ length: 10 }, (_, j) => i * 31 + j),
  );
  const done = new Set<number>();
  const reads: number[] = [];
  const hasher = new WholeFileHasher({
    pieceCount: pieces.length,
    pieceSize: 10,
    holdBytes: 40, // pieces less than 4 ahead of the hash are held
    isDone: (i) => done.has(i),
    readPiece: (i) => {
      reads.push(i);
      return Promise.resolve(pieces[i]!);
    },
  });
  for (const i of [3, 5, 6, 1, 0, 2, 4, 7]) {
    done.add(i);
    hasher.offer(i, i === 2 ? undefined : pieces[i]);
    assertEquals(hasher.heldBytes <= 40, true);
  }
  const expected = createHash("sha256");
  for (const p of pieces) expected.update(p);
  assertEquals(await hasher.digest(), expected.digest("hex"));
  // 2 came without its bytes; 5, 6 and 7 arrived 4 or more ahead of the hash.
  assertEquals(reads.sort(), [2, 5, 6, 7]);
});
