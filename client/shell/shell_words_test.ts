import assert from "node:assert/strict";
import { AppError } from "../../protocol/errors.ts";
import { splitWords } from "./shell_words.ts";

const CASES: [string, string[]][] = [
  ["", []],
  ["   ", []],
  ["login alice secret", ["login", "alice", "secret"]],
  ["  list_groups  ", ["list_groups"]],
  ["a\t b", ["a", "b"]],
  ['upload_file "my file.txt" g1', ["upload_file", "my file.txt", "g1"]],
  ["upload_file 'my file.txt' g1", ["upload_file", "my file.txt", "g1"]],
  ["my\\ file.txt", ["my file.txt"]],
  ['"say \\"hi\\""', ['say "hi"']],
  ['"back\\\\slash"', ["back\\slash"]],
  ['"keep \\n"', ["keep \\n"]],
  ["'no \\ escapes'", ["no \\ escapes"]],
  ['ab"c d"ef', ["abc def"]],
  ['""', [""]],
  ["''  x", ["", "x"]],
  ['"it\'s"', ["it's"]],
];

for (const [line, words] of CASES) {
  Deno.test(`splitWords() splits ${JSON.stringify(line)}`, () => {
    assert.deepEqual(splitWords(line), words);
  });
}

for (const line of ['"open', "'open", 'a "b c', "trailing\\"]) {
  Deno.test(`splitWords() refuses ${JSON.stringify(line)}`, () => {
    assert.throws(
      () => splitWords(line),
      (e: unknown) => e instanceof AppError && e.code === "BAD_REQUEST",
    );
  });
}
