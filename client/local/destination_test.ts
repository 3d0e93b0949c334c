import assert from "node:assert/strict";
import { join } from "node:path";
import { AppError } from "../../protocol/errors.ts";
import { resolveDestination } from "./destination.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const code = (c: string, pattern: RegExp) => (e: unknown) =>
  e instanceof AppError && e.code === c && pattern.test(e.message);

Deno.test("resolveDestination() puts the file into a directory under its own name", async () => {
  await withDir(async (dir) => {
    assert.equal(await resolveDestination(dir, "a.bin", "/"), join(dir, "a.bin"));
    assert.equal(await resolveDestination("sub/..", "a.bin", dir), join(dir, "a.bin"));
    assert.equal(await resolveDestination("new.bin", "a.bin", dir), join(dir, "new.bin"));
  });
});

Deno.test("resolveDestination() expands ~ to the home directory", async () => {
  await withDir(async (home) => {
    assert.equal(await resolveDestination("~", "a.bin", "/", home), join(home, "a.bin"));
    assert.equal(await resolveDestination("~/b.bin", "a.bin", "/", home), join(home, "b.bin"));
    await assert.rejects(resolveDestination("~/x", "a.bin", "/", ""), code("BAD_REQUEST", /HOME/));
  });
});

Deno.test("resolveDestination() takes a trailing slash as a directory that must exist", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      resolveDestination(join(dir, "new", "dir") + "/", "a.bin", "/"),
      code("NOT_FOUND", /no such directory; create it first/),
    );
    await Deno.writeTextFile(join(dir, "file"), "x");
    await assert.rejects(
      resolveDestination(join(dir, "file") + "/", "a.bin", "/"),
      code("ALREADY_EXISTS", /is a file, not a directory/),
    );
    await Deno.mkdir(join(dir, "dl"));
    assert.equal(
      await resolveDestination(join(dir, "dl") + "/", "a.bin", "/"),
      join(dir, "dl", "a.bin"),
    );
  });
});

Deno.test("resolveDestination() refuses existing files and missing directories", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a.bin"), "x");
    await assert.rejects(resolveDestination(dir, "a.bin", "/"), code("ALREADY_EXISTS", /a.bin/));
    await assert.rejects(
      resolveDestination(join(dir, "a.bin"), "other", "/"),
      code("ALREADY_EXISTS", /pick another name/),
    );
    await assert.rejects(
      resolveDestination(join(dir, "missing", "x.bin"), "a.bin", "/"),
      code("NOT_FOUND", /does not exist; create it first/),
    );
  });
});

Deno.test("resolveDestination() refuses a directory it cannot write before anything starts", async () => {
  // /proc is never writable, whoever runs the test.
  await assert.rejects(resolveDestination("/proc", "a.bin", "/"), code("FORBIDDEN", /\/proc/));
});
