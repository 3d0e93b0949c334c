import assert from "node:assert/strict";
import { errorReply, idOf, okReply, parseEnvelope, PROTOCOL_VERSION } from "./envelope.ts";
import { AppError, type ErrorCode } from "./errors.ts";

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error.code;
  }
}

Deno.test("parseEnvelope() returns the id and the raw object", () => {
  assert.deepEqual(parseEnvelope('{"id":7,"cmd":"ping"}'), { id: 7, raw: { id: 7, cmd: "ping" } });
  assert.equal(parseEnvelope(`{"id":"a","v":${PROTOCOL_VERSION}}`).id, "a");
});

Deno.test("parseEnvelope() refuses bad ids, bad JSON and other versions with stable codes", () => {
  const cases: [string, ErrorCode][] = [
    ["nope", "BAD_JSON"],
    ['{"id":1', "BAD_JSON"],
    ["[1]", "BAD_JSON"],
    ['{"cmd":"ping"}', "BAD_REQUEST"],
    ['{"id":1.5}', "BAD_REQUEST"],
    ['{"id":null}', "BAD_REQUEST"],
    ['{"id":{}}', "BAD_REQUEST"],
    [`{"id":"${"x".repeat(65)}"}`, "BAD_REQUEST"],
    ['{"id":1,"v":2}', "VERSION_MISMATCH"],
    ['{"id":1,"v":"1"}', "VERSION_MISMATCH"],
  ];
  for (const [line, code] of cases) assert.equal(codeOf(() => parseEnvelope(line)), code, line);
});

Deno.test("parseEnvelope() throws only AppError on random garbage", () => {
  let seed = 99;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const alphabet = '{}[]":,0123456789abcdeidvcmnul \\';
  for (let i = 0; i < 2000; i++) {
    const length = Math.floor(random() * 40);
    let line = "";
    for (let j = 0; j < length; j++) line += alphabet[Math.floor(random() * alphabet.length)];
    codeOf(() => parseEnvelope(line));
  }
});

Deno.test("idOf() keeps only usable ids", () => {
  assert.equal(idOf({ id: 3 }), 3);
  assert.equal(idOf({ id: "x" }), "x");
  assert.equal(idOf({ id: 2 ** 60 }), null);
  assert.equal(idOf({}), null);
});

Deno.test("okReply() and errorReply() build the reply envelope", () => {
  assert.deepEqual(okReply(1, { a: 1 }), { id: 1, ok: true, data: { a: 1 } });
  assert.deepEqual(errorReply(null, "BAD_JSON", "m"), {
    id: null,
    ok: false,
    error: { code: "BAD_JSON", message: "m" },
  });
});
