import assert from "node:assert/strict";
import { join } from "node:path";
import { PartFile } from "./part_file.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("PartFile.open() creates a new .part readable by its owner only, at the file's size", async () => {
  await withDir(async (dir) => {
    const { part, existingBytes } = await PartFile.open(join(dir, "f.part"), 1000);
    part.close();
    const info = await Deno.stat(join(dir, "f.part"));
    assert.equal(existingBytes, 0);
    assert.equal(info.size, 1000);
    assert.equal(info.mode! & 0o777, 0o600);
  });
});

Deno.test("PartFile.open() keeps an existing .part for a resume", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(join(dir, "f.part"), new Uint8Array(400).fill(7));
    const { part, existingBytes } = await PartFile.open(join(dir, "f.part"), 1000);
    part.close();
    assert.equal(existingBytes, 400);
    assert.equal((await Deno.readFile(join(dir, "f.part")))[399], 7);
  });
});

Deno.test("PartFile.open() refuses a .part that is a symlink and leaves its target alone", async () => {
  await withDir(async (dir) => {
    const victim = join(dir, "victim.txt");
    await Deno.writeTextFile(victim, "keep me");
    await Deno.symlink(victim, join(dir, "f.part"));
    await assert.rejects(PartFile.open(join(dir, "f.part"), 1000), /not a plain file/);
    assert.equal(await Deno.readTextFile(victim), "keep me");
  });
});

Deno.test("PartFile.moveInto() never replaces a file or link that appeared at the destination", async () => {
  await withDir(async (dir) => {
    const part = join(dir, "f.part");
    await Deno.writeTextFile(part, "verified");
    await Deno.writeTextFile(join(dir, "other.txt"), "theirs");
    await Deno.symlink(join(dir, "other.txt"), join(dir, "f"));
    await assert.rejects(PartFile.moveInto(part, join(dir, "f")), Deno.errors.AlreadyExists);
    assert.equal(await Deno.readTextFile(join(dir, "other.txt")), "theirs");
    assert.equal(await Deno.readTextFile(part), "verified");
    await PartFile.moveInto(part, join(dir, "g"));
    assert.equal(await Deno.readTextFile(join(dir, "g")), "verified");
    await assert.rejects(Deno.stat(part), Deno.errors.NotFound);
  });
});
