import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { pickSelf } from "./tracker_info.ts";

Deno.test("pickSelf() takes line N as this tracker and the rest as peers", () => {
  assert.deepEqual(pickSelf(["a:1", "b:2", "c:3"], 2), { self: "b:2", peers: ["a:1", "c:3"] });
  assert.throws(() => pickSelf(["a:1"], 2), AppError);
});
