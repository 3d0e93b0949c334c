import assert from "node:assert/strict";
import { AppError } from "./errors.ts";
import {
  isPeerCommand,
  linkProof,
  MAX_PEER_BATCH_OPS,
  newNonce,
  parsePeerRequest,
  parseVersionVector,
  proofMatches,
} from "./cluster_messages.ts";

const N = "b".repeat(64);
const code = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppError);
    return error.code;
  }
};

Deno.test("parsePeerRequest() accepts the three link messages", () => {
  assert.deepEqual(parsePeerRequest({ cmd: "peer_hello", from: 2, nonce: N }), {
    cmd: "peer_hello",
    from: 2,
    nonce: N,
  });
  assert.deepEqual(parsePeerRequest({ cmd: "peer_auth", proof: N }), {
    cmd: "peer_auth",
    proof: N,
  });
  assert.deepEqual(parsePeerRequest({ cmd: "peer_ops", ops: [] }), { cmd: "peer_ops", ops: [] });
});

Deno.test("parsePeerRequest() refuses bad fields and unknown peer commands", () => {
  assert.equal(
    code(() => parsePeerRequest({ cmd: "peer_hello", from: 0, nonce: N })),
    "BAD_REQUEST",
  );
  assert.equal(
    code(() => parsePeerRequest({ cmd: "peer_hello", from: 1, nonce: "x" })),
    "BAD_REQUEST",
  );
  assert.equal(code(() => parsePeerRequest({ cmd: "peer_auth", proof: 1 })), "BAD_REQUEST");
  assert.equal(code(() => parsePeerRequest({ cmd: "peer_ops", ops: {} })), "BAD_REQUEST");
  const many = new Array(MAX_PEER_BATCH_OPS + 1).fill({});
  assert.equal(code(() => parsePeerRequest({ cmd: "peer_ops", ops: many })), "BAD_REQUEST");
  assert.equal(code(() => parsePeerRequest({ cmd: "peer_x" })), "UNKNOWN_COMMAND");
});

Deno.test("isPeerCommand() tells link messages from client commands", () => {
  assert.equal(isPeerCommand({ cmd: "peer_ops" }), true);
  assert.equal(isPeerCommand({ cmd: "login" }), false);
  assert.equal(isPeerCommand({ cmd: 5 }), false);
});

Deno.test("parseVersionVector() reads origin → seq and refuses junk", () => {
  assert.deepEqual(parseVersionVector({ "1": 5, "2": 0 }), new Map([[1, 5]]));
  for (
    const raw of [null, [], { x: 1 }, { "1": -1 }, { "1": 1.5 }, { "1": "2" }, { "100000": 1 }]
  ) {
    assert.equal(code(() => parseVersionVector(raw)), "BAD_REQUEST", JSON.stringify(raw));
  }
});

Deno.test("linkProof() binds the secret, both nonces, both ids and the role", () => {
  const input = {
    role: "dialer" as const,
    dialerNonce: newNonce(),
    acceptorNonce: newNonce(),
    dialerId: 1,
    acceptorId: 2,
  };
  const proof = linkProof("s3cret", input);
  assert.match(proof, /^[0-9a-f]{64}$/);
  assert.ok(proofMatches(proof, linkProof("s3cret", input)));
  assert.ok(!proofMatches(proof, linkProof("other", input)));
  assert.ok(!proofMatches(proof, linkProof("s3cret", { ...input, role: "acceptor" })));
  assert.ok(!proofMatches(proof, linkProof("s3cret", { ...input, dialerId: 3 })));
  assert.ok(!proofMatches(proof, "short"));
  assert.notEqual(newNonce(), newNonce());
});
