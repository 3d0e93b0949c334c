import assert from "node:assert/strict";
import { batchedLines } from "./batched_stderr.ts";

const decoder = new TextDecoder();

Deno.test("event-log lines of one turn are written together, in order, by the end of the turn", async () => {
  const writes: string[] = [];
  const lines = batchedLines((bytes) => writes.push(decoder.decode(bytes)));
  lines.write("one");
  lines.write("two");
  assert.deepEqual(writes, []);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(writes, ["one\ntwo\n"]);
  lines.write("three");
  lines.flush();
  assert.deepEqual(writes, ["one\ntwo\n", "three\n"]);
});

Deno.test("a turn that logs a lot writes as it goes, not holding it all", () => {
  const writes: string[] = [];
  const lines = batchedLines((bytes) => writes.push(decoder.decode(bytes)));
  for (let i = 0; i < 1000; i++) lines.write("x".repeat(199));
  // 200 characters a line: past 64 KiB held, they are written at once.
  assert.deepEqual(writes.length, Math.floor(1000 / Math.ceil(64 * 1024 / 200)));
  lines.flush();
  assert.deepEqual(writes.join("").split("\n").length - 1, 1000);
});

Deno.test("a closed stderr does not stop the tracker", () => {
  const lines = batchedLines(() => {
    throw new Error("closed");
  });
  assert.doesNotThrow(() => {
    lines.write("lost");
    lines.flush();
  });
});
