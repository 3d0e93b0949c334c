import assert from "node:assert/strict";
import { LoginThrottle, type LoginThrottleOptions } from "./login_throttle.ts";

const OPTIONS: LoginThrottleOptions = {
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  forgetAfterMs: 60_000,
  maxEntries: 100,
};
const T0 = 1_000_000;

Deno.test("LoginThrottle lets a few failures pass, then waits longer after each", () => {
  const throttle = new LoginThrottle(OPTIONS);
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    throttle.fail("alice", "10.0.0.1", T0);
    waits.push(throttle.waitMs("alice", "10.0.0.9", T0));
  }
  assert.deepEqual(waits, [0, 0, 0, 1000, 2000, 4000, 8000, 8000]);
  assert.equal(throttle.waitMs("alice", "10.0.0.9", T0 + 8000), 0);
  assert.equal(throttle.waitMs("bob", "10.0.0.9", T0), 0);
});

Deno.test("LoginThrottle counts an address's failures over every user name", () => {
  const throttle = new LoginThrottle(OPTIONS);
  for (let i = 0; i < 5; i++) throttle.fail(`user${i}`, "10.0.0.1", T0);
  assert.equal(throttle.waitMs("someone", "10.0.0.1", T0), 2000);
  assert.equal(throttle.waitMs("someone", "10.0.0.2", T0), 0);
});

Deno.test("LoginThrottle exempts a user's known addresses from that user's count", () => {
  const throttle = new LoginThrottle(OPTIONS);
  throttle.succeed("alice", "10.0.0.2");
  for (let i = 0; i < 6; i++) throttle.fail("alice", `10.0.1.${i}`, T0);
  assert.ok(throttle.waitMs("alice", "10.0.0.3", T0) > 0);
  assert.equal(throttle.waitMs("alice", "10.0.0.2", T0), 0);
});

Deno.test("LoginThrottle forgets failures after a quiet period and stays bounded", () => {
  const throttle = new LoginThrottle(OPTIONS);
  for (let i = 0; i < 6; i++) throttle.fail("alice", "10.0.0.1", T0);
  assert.equal(throttle.waitMs("alice", "10.0.0.1", T0 + 60_000), 0);
  throttle.fail("alice", "10.0.0.1", T0 + 60_000);
  assert.equal(throttle.waitMs("alice", "10.0.0.1", T0 + 60_000), 0);
  for (let i = 0; i < 1000; i++) throttle.fail(`u${i}`, `a${i}`, T0);
  for (let i = 0; i < 6; i++) throttle.fail("late", "10.9.9.9", T0);
  assert.ok(throttle.waitMs("late", "elsewhere", T0) > 0);
});
