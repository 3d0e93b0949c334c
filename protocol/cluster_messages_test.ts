import assert from "node:assert/strict";
import { AppError } from "./errors.ts";
import {
  isPeerCommand,
  MAX_PEER_BATCH_OPS,
  newNonce,
  parsePeerRequest,
  parseVersionVector,
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

const TO = { to: "127.0.0.1:7001", reached: "127.0.0.1:7001" };

Deno.test("parsePeerRequest() accepts the four link messages", () => {
  assert.deepEqual(parsePeerRequest({ cmd: "peer_hello", from: 2, nonce: N, ...TO }), {
    cmd: "peer_hello",
    from: 2,
    nonce: N,
    ...TO,
  });
  assert.deepEqual(parsePeerRequest({ cmd: "peer_auth", proof: N }), {
    cmd: "peer_auth",
    proof: N,
  });
  assert.deepEqual(parsePeerRequest({ cmd: "peer_ops", ops: [], seq: 1, mac: N }), {
    cmd: "peer_ops",
    ops: [],
    seq: 1,
    mac: N,
  });
  assert.deepEqual(parsePeerRequest({ cmd: "peer_digest", seq: 2, mac: N }), {
    cmd: "peer_digest",
    seq: 2,
    mac: N,
  });
});

Deno.test("parsePeerRequest() refuses bad fields and unknown peer commands", () => {
  assert.equal(
    code(() => parsePeerRequest({ cmd: "peer_hello", from: 0, nonce: N, ...TO })),
    "BAD_REQUEST",
  );
  assert.equal(
    code(() => parsePeerRequest({ cmd: "peer_hello", from: 1, nonce: "x", ...TO })),
    "BAD_REQUEST",
  );
  assert.equal(
    code(() => parsePeerRequest({ cmd: "peer_hello", from: 1, nonce: N })),
    "BAD_REQUEST",
    "a hello must say which address it dialed",
  );
  assert.equal(
    code(() => parsePeerRequest({ cmd: "peer_ops", ops: [], seq: 1 })),
    "BAD_REQUEST",
    "ops without a MAC",
  );
  assert.equal(code(() => parsePeerRequest({ cmd: "peer_auth", proof: 1 })), "BAD_REQUEST");
  const sealed = { seq: 1, mac: N };
  assert.equal(
    code(() => parsePeerRequest({ cmd: "peer_ops", ops: {}, ...sealed })),
    "BAD_REQUEST",
  );
  const many = new Array(MAX_PEER_BATCH_OPS + 1).fill({});
  assert.equal(
    code(() => parsePeerRequest({ cmd: "peer_ops", ops: many, ...sealed })),
    "BAD_REQUEST",
  );
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

Deno.test("newNonce() gives fresh 32-byte hex nonces", () => {
  assert.match(newNonce(), /^[0-9a-f]{64}$/);
  assert.notEqual(newNonce(), newNonce());
});
