import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { createHash } from "node:crypto";
import { AppError } from "../../protocol/errors.ts";
import { hashFile } from "./hash_file.ts";

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The file id written out by hand: tag, size and piece size as u64 BE, raw piece hashes. */
function fileId(size: number, pieceSize: number, pieces: string[]): string {
  const header = new Uint8Array(16);
  new DataView(header.buffer).setBigUint64(0, BigInt(size));
  new DataView(header.buffer).setBigUint64(8, BigInt(pieceSize));
  const raw = pieces.map((hex) => Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16)));
  const tag = new TextEncoder().encode("p2p-groups file id v2\n");
  const all = new Uint8Array(tag.length + 16 + 32 * raw.length);
  all.set(tag);
  all.set(header, tag.length);
  raw.forEach((r, i) => all.set(r, tag.length + 16 + 32 * i));
  return sha(all);
}

Deno.test("hashFile() hashes each piece in one pass and names the file by its piece hashes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [number, number][] = [[0, 4], [1, 4], [4, 4], [5, 4], [3_000_001, 1024 * 1024]];
    for (const [size, pieceSize] of cases) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff);
      const path = `${dir}/f-${size}`;
      await Deno.writeFile(path, bytes);
      const pieces = Array.from(
        { length: Math.ceil(size / pieceSize) },
        (_, i) => sha(bytes.subarray(i * pieceSize, (i + 1) * pieceSize)),
      );
      assertEquals(await hashFile(path, pieceSize), {
        fileHash: fileId(size, pieceSize, pieces),
        size,
        pieceSize,
        pieceHashes: pieces,
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFile() refuses a missing path and a directory with clear errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(
      hashFile(`${dir}/nope`),
      (e) => e instanceof AppError && e.code === "NOT_FOUND" && /no such file/.test(e.message),
    );
    await assertRejects(
      hashFile(dir),
      (e) => e instanceof AppError && e.code === "BAD_REQUEST" && /is a directory/.test(e.message),
    );
    await assertRejects(hashFile(dir, 0), (e) => e instanceof AppError && e.code === "BAD_REQUEST");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFile() picks the piece size from the file size and refuses past 1 TiB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/small`, new Uint8Array(10));
    assertEquals((await hashFile(`${dir}/small`)).pieceSize, 512 * 1024);
    // A sparse file: refused from its size, before a byte is read.
    const huge = await Deno.open(`${dir}/huge`, { write: true, create: true });
    await huge.truncate(1024 ** 4 + 1);
    huge.close();
    await assertRejects(
      hashFile(`${dir}/huge`, undefined, "huge.iso"),
      (e) =>
        e instanceof AppError && e.code === "BAD_REQUEST" &&
        /"huge\.iso": it is larger than 1 TiB/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
