import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHash } from "node:crypto";
import { WholeFileHasher } from "./whole_file_hasher.ts";

Deno.test("WholeFileHasher hashes pieces in order, holding early ones and reading back the rest", async () => {
  const pieces = Array.from(
    { length: 8 },
    (_, i) => Uint8Array.from({ length: 10 + i }, (_, j) => i * 31 + j),
  );
  const done = new Set<number>();
  const reads: number[] = [];
  const hasher = new WholeFileHasher({
    pieceCount: pieces.length,
    holdBytes: 25, // room for about two early pieces
    isDone: (i) => done.has(i),
    readPiece: (i) => {
      reads.push(i);
      return Promise.resolve(pieces[i]!);
    },
  });
  for (const i of [3, 5, 6, 1, 0, 2, 4, 7]) {
    done.add(i);
    hasher.offer(i, i === 2 ? undefined : pieces[i]);
    assertEquals(hasher.heldBytes <= 25 + 17, true);
  }
  const expected = createHash("sha256");
  for (const p of pieces) expected.update(p);
  assertEquals(await hasher.digest(), expected.digest("hex"));
  // Piece 2 came without its bytes; 5, 6 and later 4, 7 arrived ahead of the
  // hash with the budget spent (3 and 1 held), so they were read back.
  assertEquals(reads.sort(), [2, 4, 5, 6, 7]);
});
