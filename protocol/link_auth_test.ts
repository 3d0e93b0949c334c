import assert from "node:assert/strict";
import { type HandshakeInput, LinkChannel, linkProof, proofMatches } from "./link_auth.ts";

const input: HandshakeInput = {
  dialerNonce: "a".repeat(64),
  acceptorNonce: "b".repeat(64),
  dialerId: 1,
  acceptorId: 2,
  dialedAddr: "127.0.0.1:7003",
  reachedAddr: "127.0.0.1:7003",
};

Deno.test("linkProof() binds the secret, both nonces, both ids, the role and the dialed address", () => {
  const proof = linkProof("s3cret", "dialer", input);
  assert.match(proof, /^[0-9a-f]{64}$/);
  assert.ok(proofMatches(proof, linkProof("s3cret", "dialer", input)));
  assert.ok(!proofMatches(proof, linkProof("other", "dialer", input)));
  assert.ok(!proofMatches(proof, linkProof("s3cret", "acceptor", input)), "no reflection");
  for (
    const changed of [
      { dialerId: 3 },
      { acceptorId: 3 },
      { dialerNonce: "c".repeat(64) },
      { acceptorNonce: "c".repeat(64) },
      { dialedAddr: "127.0.0.1:7002" },
      { reachedAddr: "127.0.0.1:7002" },
    ]
  ) {
    const other = linkProof("s3cret", "dialer", { ...input, ...changed });
    assert.ok(!proofMatches(proof, other), JSON.stringify(changed));
  }
  assert.ok(!proofMatches(proof, "short"));
  assert.ok(!proofMatches(proof, 42));
});

Deno.test("LinkChannel: a MAC binds the direction, the number, the command and the payload", () => {
  const channel = new LinkChannel("s3cret", input);
  const payload = { ops: [{ origin: 1, seq: 1 }] };
  const mac = channel.mac("dialer", 5, "peer_ops", payload);
  assert.ok(channel.verify("dialer", 5, "peer_ops", payload, mac));
  assert.ok(new LinkChannel("s3cret", input).verify("dialer", 5, "peer_ops", payload, mac));
  assert.ok(!channel.verify("acceptor", 5, "peer_ops", payload, mac), "other direction");
  assert.ok(!channel.verify("dialer", 6, "peer_ops", payload, mac), "replayed under a new number");
  assert.ok(!channel.verify("dialer", 5, "peer_digest", payload, mac), "other command");
  assert.ok(!channel.verify("dialer", 5, "peer_ops", { ops: [] }, mac), "altered payload");
  assert.ok(!channel.verify("dialer", 5, "peer_ops", payload, undefined));
  const otherLink = new LinkChannel("s3cret", { ...input, acceptorNonce: "d".repeat(64) });
  assert.ok(!otherLink.verify("dialer", 5, "peer_ops", payload, mac), "other link's key");
  assert.notEqual(mac, linkProof("s3cret", "dialer", input));
});
