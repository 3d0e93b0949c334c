import assert from "node:assert/strict";
import { trustRule } from "./tracker_trust.ts";

const CONFIGURED = ["t1:1", "t2:2"];

Deno.test("trustRule() asks every tracker for a proof once a key is pinned", () => {
  for (const addr of ["t1:1", "x:9"]) {
    assert.deepEqual(
      trustRule(addr, {
        pinnedKey: "K",
        configured: CONFIGURED,
        suggestion: { addr, verified: true },
      }),
      { kind: "prove", key: "K" },
    );
  }
});

Deno.test("trustRule() before the first login trusts the configuration and verifying balancers only", () => {
  const none = { pinnedKey: undefined, configured: CONFIGURED };
  assert.equal(trustRule("t2:2", { ...none, suggestion: undefined }).kind, "trusted");
  assert.equal(
    trustRule("x:9", { ...none, suggestion: { addr: "x:9", verified: true } }).kind,
    "trusted",
  );
  assert.equal(
    trustRule("x:9", { ...none, suggestion: { addr: "x:9", verified: false } }).kind,
    "untrusted",
  );
  assert.equal(
    trustRule("x:9", { ...none, suggestion: { addr: "y:8", verified: true } }).kind,
    "untrusted",
  );
});
