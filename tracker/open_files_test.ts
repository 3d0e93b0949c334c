import assert from "node:assert/strict";
import { openFilesWarning, RESERVED_FILES, roomForFiles } from "./open_files.ts";

Deno.test("openFilesWarning() speaks only when the room is below the cap plus reserve", () => {
  assert.equal(openFilesWarning(20_000 + RESERVED_FILES, 20_000), undefined);
  const line = openFilesWarning(1024, 20_000);
  assert.match(line ?? "", /open-files limit leaves room for about 960 connections/);
  assert.match(line ?? "", /--max-connections 20000/);
  assert.match(line ?? "", /ulimit -n 20164/);
});

Deno.test("roomForFiles() counts up to its bound and leaves no file open", () => {
  assert.equal(roomForFiles(50), 50);
  assert.equal(roomForFiles(0), 0);
  // Up to the limit (or 100,000) twice: the same room, so every file was closed again.
  const first = roomForFiles(100_000);
  assert.ok(first > 50);
  assert.equal(roomForFiles(100_000), first);
});
