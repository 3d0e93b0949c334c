import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { parseTrackerInfo, pickSelf } from "./tracker_info.ts";

Deno.test("parseTrackerInfo() reads one address a line, skipping blanks and comments", () => {
  const text = "# trackers\n127.0.0.1:7001\n\n  host.example:7002  # second\r\n[::1]:7003\n";
  assert.deepEqual(parseTrackerInfo(text), ["127.0.0.1:7001", "host.example:7002", "[::1]:7003"]);
});

Deno.test("parseTrackerInfo() names the line that is not an address", () => {
  assert.throws(
    () => parseTrackerInfo("127.0.0.1:1\nnot an address\n"),
    (e) => e instanceof AppError && e.code === "BAD_REQUEST" && e.message.includes("Line 2"),
  );
});

Deno.test("pickSelf() takes line N as this tracker and the rest as peers", () => {
  assert.deepEqual(pickSelf(["a:1", "b:2", "c:3"], 2), { self: "b:2", peers: ["a:1", "c:3"] });
  assert.throws(() => pickSelf(["a:1"], 2), AppError);
});
