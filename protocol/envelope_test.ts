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

/** What parseEnvelope() must answer for a line, worked out independently. */
function expectedCode(line: string): ErrorCode | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "BAD_JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "BAD_JSON";
  const { id, v } = value as Record<string, unknown>;
  const goodId = (typeof id === "number" && Number.isSafeInteger(id)) ||
    (typeof id === "string" && id.length <= 64);
  if (!goodId) return "BAD_REQUEST";
  if (v !== undefined && v !== PROTOCOL_VERSION) return "VERSION_MISMATCH";
  return undefined;
}

Deno.test("parseEnvelope() on random lines: the code each deserves, and the id of each it accepts", () => {
  let seed = 99;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const alphabet = '{}[]":,0123456789abcdeidvcmnul \\';
  // Half random characters, half random objects, so every outcome is reached.
  const ids = [1, -3, 1.5, 2 ** 60, "a", "", "x".repeat(65), null, [], {}, true];
  const versions = [undefined, PROTOCOL_VERSION, 2, "1", null];
  const seen = new Map<string, number>();
  for (let i = 0; i < 4000; i++) {
    let line = "";
    if (i % 2 === 0) {
      const length = Math.floor(random() * 40);
      for (let j = 0; j < length; j++) line += pick([...alphabet]);
    } else {
      const fields: Record<string, unknown> = { cmd: "ping" };
      if (random() < 0.9) fields["id"] = pick(ids);
      const v = pick(versions);
      if (v !== undefined) fields["v"] = v;
      line = JSON.stringify(fields);
    }
    const expected = expectedCode(line);
    assert.equal(codeOf(() => parseEnvelope(line)), expected, line);
    if (expected === undefined) assert.equal(parseEnvelope(line).id, JSON.parse(line).id, line);
    seen.set(expected ?? "ok", (seen.get(expected ?? "ok") ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), [
    "BAD_JSON",
    "BAD_REQUEST",
    "VERSION_MISMATCH",
    "ok",
  ]);
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
