import assert from "node:assert/strict";
import { AppError } from "./errors.ts";
import { encodeLine, LineDecoder, parseJsonObject } from "./framing.ts";

const enc = new TextEncoder();

Deno.test("encodeLine() writes one JSON object and a newline", () => {
  const text = new TextDecoder().decode(encodeLine({ a: 1, s: "x\ny" }));
  assert.equal(text, '{"a":1,"s":"x\\ny"}\n');
});

Deno.test("LineDecoder.push() splits lines across chunks in any cut", () => {
  const whole = enc.encode('{"id":1}\n{"id":2,"s":"é"}\n\n{"id":3}\n');
  for (let cut = 0; cut <= whole.length; cut++) {
    const decoder = new LineDecoder(1024);
    const lines = [...decoder.push(whole.subarray(0, cut)), ...decoder.push(whole.subarray(cut))];
    assert.deepEqual(lines, ['{"id":1}', '{"id":2,"s":"é"}', "", '{"id":3}']);
    assert.equal(decoder.pendingBytes, 0);
  }
});

Deno.test("LineDecoder.push() copies partial lines so a reused buffer cannot corrupt them", () => {
  const decoder = new LineDecoder(1024);
  const buffer = enc.encode("abc");
  decoder.push(buffer);
  buffer.set(enc.encode("xyz"));
  assert.deepEqual(decoder.push(enc.encode("d\n")), ["abcd"]);
});

Deno.test("LineDecoder.push() refuses a line longer than the limit before buffering it", () => {
  const decoder = new LineDecoder(8);
  decoder.push(enc.encode("12345"));
  assert.throws(
    () => decoder.push(enc.encode("6789")),
    (e) => e instanceof AppError && e.code === "FRAME_TOO_LARGE",
  );
  assert.equal(decoder.pendingBytes, 0);
  assert.deepEqual(decoder.push(enc.encode("ok\n")), ["ok"]);
});

Deno.test("LineDecoder.push() accepts a line exactly at the limit", () => {
  const decoder = new LineDecoder(4);
  assert.deepEqual(decoder.push(enc.encode("1234\n")), ["1234"]);
});

Deno.test("LineDecoder.push() survives random bytes: lines or FRAME_TOO_LARGE, memory bounded", () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 200; round++) {
    const decoder = new LineDecoder(64);
    for (let chunk = 0; chunk < 20; chunk++) {
      const bytes = new Uint8Array(Math.floor(random() * 100));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      try {
        for (const line of decoder.push(bytes)) assert.ok(line.length <= 64 * 3);
      } catch (error) {
        assert.ok(error instanceof AppError && error.code === "FRAME_TOO_LARGE");
      }
      assert.ok(decoder.pendingBytes <= 64);
    }
  }
});

Deno.test("parseJsonObject() refuses what is not a JSON object", () => {
  for (const line of ["", "{", "[]", "null", "3", '"x"', "{'a':1}", '{"a":1}}', "\u0000"]) {
    assert.throws(
      () => parseJsonObject(line),
      (e) => e instanceof AppError && e.code === "BAD_JSON",
      line,
    );
  }
  assert.deepEqual(parseJsonObject('{"a":[1]}'), { a: [1] });
});
