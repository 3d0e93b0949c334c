import assert from "node:assert/strict";
import { AppError } from "./errors.ts";
import { parseTrackerList } from "./tracker_list.ts";

Deno.test("parseTrackerList() reads one address a line, skipping blanks and comments", () => {
  const text = "# trackers\n127.0.0.1:7001\n\n  host.example:7002  # second\r\n[::1]:7003\n";
  assert.deepEqual(parseTrackerList(text), ["127.0.0.1:7001", "host.example:7002", "[::1]:7003"]);
});

Deno.test("parseTrackerList() names the line that is not an address", () => {
  assert.throws(
    () => parseTrackerList("127.0.0.1:1\nnot an address\n"),
    (e) =>
      e instanceof AppError && e.code === "BAD_REQUEST" &&
      e.message === 'line 2: "not an address" is not an address host:port',
  );
});
