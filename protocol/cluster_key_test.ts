import assert from "node:assert/strict";
import {
  clusterKeyFromSeed,
  deriveClusterKey,
  newSigningSeed,
  signBytes,
  verifyBytes,
} from "./cluster_key.ts";

const DATA = new TextEncoder().encode("ticket for alice");

Deno.test("deriveClusterKey() gives every holder of one secret the same key, another secret another", () => {
  assert.equal(deriveClusterKey("s3cret").publicKey, deriveClusterKey("s3cret").publicKey);
  assert.notEqual(deriveClusterKey("s3cret").publicKey, deriveClusterKey("other").publicKey);
  assert.equal(Buffer.from(deriveClusterKey("s3cret").publicKey, "base64url").length, 32);
});

Deno.test("verifyBytes() accepts the key's own signature and nothing altered", () => {
  const key = deriveClusterKey("s3cret");
  const sig = signBytes(key, DATA);
  assert.equal(verifyBytes(key.publicKey, DATA, sig), true);
  assert.equal(
    verifyBytes(key.publicKey, new TextEncoder().encode("ticket for mallory"), sig),
    false,
  );
  assert.equal(verifyBytes(deriveClusterKey("other").publicKey, DATA, sig), false);
  const flipped = Buffer.from(sig, "base64url");
  flipped[0]! ^= 1;
  assert.equal(verifyBytes(key.publicKey, DATA, flipped.toString("base64url")), false);
});

Deno.test("verifyBytes() answers false, never throws, for malformed keys and signatures", () => {
  const key = clusterKeyFromSeed(newSigningSeed());
  const sig = signBytes(key, DATA);
  for (const [pub, s] of [["", sig], ["!!!", sig], [key.publicKey, ""], [key.publicKey, "x"]]) {
    assert.equal(verifyBytes(pub!, DATA, s!), false);
  }
  assert.throws(() => clusterKeyFromSeed(new Uint8Array(31)), RangeError);
});
