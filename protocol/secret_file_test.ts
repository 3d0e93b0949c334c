import assert from "node:assert/strict";
import { join } from "node:path";
import { readSecretFile } from "./secret_file.ts";

Deno.test("readSecretFile() reads a 0600 file, trimmed", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = join(dir, "secret");
    Deno.writeTextFileSync(path, "  s3cret\n", { mode: 0o600 });
    Deno.chmodSync(path, 0o600);
    assert.equal(readSecretFile(path), "s3cret");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("readSecretFile() refuses a missing, empty or group/world-readable file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = join(dir, "secret");
    assert.throws(() => readSecretFile(path), /Cannot read the secret file/);
    Deno.writeTextFileSync(path, " \n");
    Deno.chmodSync(path, 0o600);
    assert.throws(() => readSecretFile(path), /is empty/);
    Deno.writeTextFileSync(path, "s3cret");
    for (const mode of [0o640, 0o604, 0o644]) {
      Deno.chmodSync(path, mode);
      assert.throws(() => readSecretFile(path), /can be read by others.*chmod 600/);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
