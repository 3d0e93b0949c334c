import assert from "node:assert/strict";
import { createBucket, takeTokens } from "./rate_limit.ts";

Deno.test("takeTokens() lets a burst of one second's worth through at once", () => {
  const bucket = createBucket(1000, 0);
  assert.equal(takeTokens(bucket, 600, 0), 0);
  assert.equal(takeTokens(bucket, 400, 0), 0);
});

Deno.test("takeTokens() makes the sender wait for what the rate has not yet refilled", () => {
  const bucket = createBucket(1000, 0);
  takeTokens(bucket, 1000, 0);
  assert.equal(takeTokens(bucket, 500, 0), 500);
  // After waiting those 500 ms the debt is paid: the next 250 bytes wait 250 ms.
  assert.equal(takeTokens(bucket, 250, 500), 250);
});

Deno.test("takeTokens() never stores more than one second of tokens", () => {
  const bucket = createBucket(1000, 0);
  assert.equal(takeTokens(bucket, 1000, 60_000), 0);
  assert.equal(takeTokens(bucket, 1000, 60_000), 1000);
});

Deno.test("takeTokens() grants a piece larger than the rate whole, then waits it off", () => {
  const bucket = createBucket(1000, 0);
  assert.equal(takeTokens(bucket, 3000, 0), 2000);
  assert.equal(takeTokens(bucket, 1, 2000), 1);
});

Deno.test("createBucket() refuses a rate that is not positive", () => {
  for (const rate of [0, -1, Number.NaN]) assert.throws(() => createBucket(rate, 0), RangeError);
});
