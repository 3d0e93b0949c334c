import assert from "node:assert/strict";
import { complete, completionTarget } from "./completion.ts";

Deno.test("completionTarget() tells a command, a group and a file of a group apart", () => {
  assert.deepEqual(completionTarget("li", 2), { kind: "command", prefix: "li", start: 0 });
  assert.deepEqual(completionTarget("join_group fr", 13), {
    kind: "group",
    prefix: "fr",
    start: 11,
  });
  assert.deepEqual(completionTarget("download_file friends no", 24), {
    kind: "file",
    prefix: "no",
    start: 22,
    group: "friends",
  });
  assert.deepEqual(completionTarget("help show", 9), { kind: "command", prefix: "show", start: 5 });
  assert.equal(completionTarget("login alice pw", 14).kind, "none");
  assert.equal(completionTarget("frobnicate x", 12).kind, "none");
});

Deno.test("complete() puts in the one match and a space after it", () => {
  const line = "list_f";
  const done = complete(line, 6, completionTarget(line, 6), ["list_files", "list_groups"]);
  assert.deepEqual(done, { buffer: "list_files ", cursor: 11, shown: [] });
});

Deno.test("complete() extends to the shared start and shows the matches", () => {
  const done = complete("list_", 5, completionTarget("list_", 5), [
    "list_files",
    "list_groups",
    "login",
  ]);
  assert.deepEqual(done, { buffer: "list_", cursor: 5, shown: ["list_files", "list_groups"] });
});

Deno.test("complete() quotes a file name with spaces", () => {
  const line = "download_file g1 my";
  const done = complete(line, line.length, completionTarget(line, line.length), ["my file.bin"]);
  assert.equal(done.buffer, 'download_file g1 "my file.bin" ');
});

Deno.test("complete() leaves the line alone when nothing matches", () => {
  const done = complete("zz", 2, completionTarget("zz", 2), ["login"]);
  assert.deepEqual(done, { buffer: "zz", cursor: 2, shown: [] });
});
