import assert from "node:assert/strict";
import { ReadBuffer } from "./read_buffer.ts";

Deno.test("ReadBuffer: small while idle, large while a message is in flight, small again after", () => {
  const buffer = new ReadBuffer(4096, 65536);
  assert.equal(buffer.size, 4096);
  buffer.settle(100, false);
  assert.equal(buffer.size, 4096);
  buffer.settle(100, true); // a line started and did not end
  assert.equal(buffer.size, 65536);
  buffer.settle(65536, false); // a full read: more is likely waiting
  assert.equal(buffer.size, 65536);
  buffer.settle(10, false);
  assert.equal(buffer.size, 4096);
  buffer.settle(4096, false);
  assert.equal(buffer.size, 65536);
});
