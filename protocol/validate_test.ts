import assert from "node:assert/strict";
import { AppError } from "./errors.ts";
import { fileName, hostPort, ident, obj, optional, sha256Hex, str, uint } from "./validate.ts";

const bad = (fn: () => unknown) =>
  assert.throws(fn, (e) => e instanceof AppError && e.code === "BAD_REQUEST");

Deno.test("str() takes bounded non-empty strings", () => {
  assert.equal(str({ a: "x" }, "a"), "x");
  bad(() => str({ a: "" }, "a"));
  bad(() => str({ a: 1 }, "a"));
  bad(() => str({ a: "xyz" }, "a", 2));
});

Deno.test("ident() takes names of letters, digits and _ . @ -", () => {
  assert.equal(ident({ u: "bob_1.x@y-z" }, "u"), "bob_1.x@y-z");
  for (const value of ["", "a b", "a/b", "x".repeat(65), 5, null, "é"]) {
    bad(() => ident({ u: value }, "u"));
  }
});

Deno.test("fileName() refuses paths, control characters and dot names", () => {
  assert.equal(fileName({ n: "my file.txt" }, "n"), "my file.txt");
  for (const value of ["", ".", "..", "a/b", "a\\b", "a\nb", "x".repeat(256), 1]) {
    bad(() => fileName({ n: value }, "n"));
  }
});

Deno.test("fileName() refuses Unicode controls and format characters that disguise a name", () => {
  assert.equal(fileName({ n: "résumé – 2026.pdf" }, "n"), "résumé – 2026.pdf");
  const disguises = [
    "invoice\u202Efdp.exe", // right-to-left override
    "a\u2066b\u2069", // isolates
    "pay\u200Bpal", // zero-width space
    "x\u200Dy", // zero-width joiner
    "\uFEFFname", // byte order mark
    "c1\u0085control", // C1 next line
    "del\u007F",
  ];
  for (const value of disguises) bad(() => fileName({ n: value }, "n"));
});

Deno.test("uint() takes safe non-negative integers up to max", () => {
  assert.equal(uint({ n: 0 }, "n"), 0);
  for (const value of [-1, 1.5, "1", 2 ** 53, NaN, null]) bad(() => uint({ n: value }, "n"));
  bad(() => uint({ n: 11 }, "n", 10));
});

Deno.test("sha256Hex() takes 64 lowercase hex digits", () => {
  assert.equal(sha256Hex({ h: "a".repeat(64) }, "h"), "a".repeat(64));
  for (const value of ["A".repeat(64), "a".repeat(63), "g".repeat(64)]) {
    bad(() => sha256Hex({ h: value }, "h"));
  }
});

Deno.test("hostPort() takes host:port with a port from 1 to 65535", () => {
  assert.equal(hostPort({ a: "127.0.0.1:80" }, "a"), "127.0.0.1:80");
  assert.equal(hostPort({ a: "[::1]:80" }, "a"), "[::1]:80");
  for (const value of ["host", "host:0", "host:65536", ":80", "a b:1", "h:1:2"]) {
    bad(() => hostPort({ a: value }, "a"));
  }
});

Deno.test("obj() and optional() check nested objects and absent fields", () => {
  assert.deepEqual(obj({ o: { a: 1 } }, "o"), { a: 1 });
  bad(() => obj({ o: [] }, "o"));
  bad(() => obj({ o: null }, "o"));
  assert.equal(optional({}, "n", uint), undefined);
  assert.equal(optional({ n: null }, "n", uint), undefined);
  assert.equal(optional({ n: 3 }, "n", uint), 3);
});
