import assert from "node:assert/strict";
import { elideMiddle, fitWidths, MIN_COLUMN_WIDTH } from "./fit_width.ts";

Deno.test("elideMiddle() keeps short text and cuts the middle of long text", () => {
  assert.equal(elideMiddle("short.txt", 20), "short.txt");
  assert.equal(elideMiddle("a-very-long-file-name.tar.gz", 12), "a-very…ar.gz");
  assert.equal(elideMiddle("a-very-long-file-name.tar.gz", 12).length, 12);
  assert.equal(elideMiddle("abc", 1), "…");
  assert.equal(elideMiddle("abc", 0), "");
});

Deno.test("fitWidths() shrinks the widest elidable column until the row fits", () => {
  const fitted = fitWidths([2, 40, 30, 8], [1, 2], 60);
  assert.equal(fitted.reduce((a, b) => a + b, 0) + 2 * 3, 60);
  assert.equal(fitted[0], 2);
  assert.equal(fitted[3], 8);
  assert.ok(Math.abs(fitted[1]! - fitted[2]!) <= 1, `${fitted}`);
});

Deno.test("fitWidths() stops at the minimum width and leaves other columns alone", () => {
  const fitted = fitWidths([10, 40], [1], 12);
  assert.deepEqual(fitted, [10, MIN_COLUMN_WIDTH]);
  assert.deepEqual(fitWidths([5, 5], [0, 1], 80), [5, 5]);
});
