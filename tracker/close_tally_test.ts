import assert from "node:assert/strict";
import { CloseTally } from "./close_tally.ts";

Deno.test("connections closed for a deadline are logged as one line per reason, not one each", () => {
  const lines: string[] = [];
  const tally = new CloseTally((line) => lines.push(line));
  for (let i = 0; i < 5000; i++) tally.closed("silent");
  tally.closed("no valid first message");
  assert.deepEqual(lines, []);
  tally.flush();
  assert.deepEqual(lines, [
    "closed 5000 connections: silent",
    "closed 1 connection: no valid first message",
  ]);
  tally.flush(); // nothing new: nothing logged, and no timer left behind
  assert.equal(lines.length, 2);
});

Deno.test("the tally logs by itself a second after the first close", async () => {
  const lines: string[] = [];
  const tally = new CloseTally((line) => lines.push(line));
  tally.closed("silent");
  const deadline = Date.now() + 5000;
  while (lines.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual(lines, ["closed 1 connection: silent"]);
});
