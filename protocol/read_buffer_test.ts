import assert from "node:assert/strict";
import { ReadBuffer } from "./read_buffer.ts";

Deno.test("ReadBuffer: small while idle, larger while a message is in flight, small again after", () => {
  const buffer = new ReadBuffer(256, 65536);
  assert.equal(buffer.size, 256);
  buffer.settle(100, false);
  assert.equal(buffer.size, 256);
  buffer.settle(100, true); // a line started and did not end
  assert.equal(buffer.size, 4096);
  buffer.settle(100, true); // still in flight, the buffer not filled: no need to grow
  assert.equal(buffer.size, 4096);
  buffer.settle(4096, true); // filled: a long message, read in the largest pieces
  assert.equal(buffer.size, 65536);
  buffer.settle(65536, false); // a full read: more is likely waiting
  assert.equal(buffer.size, 65536);
  buffer.settle(10, false);
  assert.equal(buffer.size, 256);
  buffer.settle(256, false); // a full idle read: more is waiting
  assert.equal(buffer.size, 4096);
  buffer.settle(10, false);
  assert.equal(buffer.size, 256);
});

Deno.test("ReadBuffer: the first busy size never exceeds the largest", () => {
  const buffer = new ReadBuffer(2048, 16384);
  buffer.settle(2048, false);
  assert.equal(buffer.size, 16384);
  buffer.settle(16384, true);
  assert.equal(buffer.size, 16384);
});
