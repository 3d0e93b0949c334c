import assert from "node:assert/strict";
import {
  applyKey,
  decodeKeys,
  type EditorState,
  type Key,
  newEditor,
  renderLine,
} from "./line_editor.ts";

function type(
  state: EditorState,
  text: string,
): { state: EditorState; lines: string[]; end?: string } {
  const lines: string[] = [];
  for (const key of decodeKeys(text)) {
    const result = applyKey(state, key);
    state = result.state;
    if ("line" in result) lines.push(result.line);
    if ("end" in result) return { state, lines, end: result.end };
  }
  return { state, lines };
}

Deno.test("decodeKeys() reads characters, controls and arrow escapes", () => {
  const kinds = decodeKeys("a\x1b[D\x1b[C\x1b[A\x1b[B\x7f\r\x03\x04\x1b[3~\x01\x05").map((k: Key) =>
    k.kind === "char" ? k.text : k.kind
  );
  assert.deepEqual(kinds, [
    "a",
    "left",
    "right",
    "up",
    "down",
    "backspace",
    "enter",
    "interrupt",
    "eof",
    "delete",
    "home",
    "end",
  ]);
});

Deno.test("applyKey() inserts at the cursor after moving left", () => {
  const { lines } = type(newEditor([]), "lgin\x1b[D\x1b[D\x1b[Do\r");
  assert.deepEqual(lines, ["login"]);
});

Deno.test("applyKey() backspace and delete remove around the cursor", () => {
  const { lines } = type(newEditor([]), "helxlo\x1b[D\x1b[D\x7f\x1b[3~\r");
  assert.deepEqual(lines, ["helo"]);
});

Deno.test("applyKey() browses history with up and down and keeps the draft", () => {
  let { state } = type(newEditor([]), "one\rtwo\r");
  assert.deepEqual(state.history, ["one", "two"]);
  ({ state } = type(state, "dr\x1b[A"));
  assert.equal(state.buffer, "two");
  ({ state } = type(state, "\x1b[A\x1b[A"));
  assert.equal(state.buffer, "one");
  ({ state } = type(state, "\x1b[B\x1b[B"));
  assert.equal(state.buffer, "dr");
});

Deno.test("applyKey() ends on Ctrl-D at an empty line and on Ctrl-C", () => {
  assert.equal(type(newEditor([]), "\x04").end, "eof");
  assert.equal(type(newEditor([]), "ab\x04").end, undefined);
  assert.equal(type(newEditor([]), "ab\x03").end, undefined, "Ctrl-C clears a typed line");
  assert.equal(type(newEditor([]), "ab\x03").state.buffer, "");
  assert.equal(type(newEditor([]), "\x03").end, undefined, "one Ctrl-C only warns");
  assert.equal(type(newEditor([]), "\x03\x03").end, "interrupt");
  assert.equal(type(newEditor([]), "\x03x\x7f\x03").end, undefined, "a key in between resets");
});

Deno.test("applyKey() Ctrl-W deletes the word before the cursor, Ctrl-K to the end", () => {
  assert.deepEqual(type(newEditor([]), "list_files  group1\x17g2\r").lines, ["list_files  g2"]);
  const killed = type(newEditor([]), "login alice pw\x1b[D\x1b[D\x1b[D\x0b\r").lines;
  assert.deepEqual(killed, ["login alice"]);
});

Deno.test("applyKey() Alt-b and Alt-f move by words and insert nothing", () => {
  const { lines } = type(newEditor([]), "join g1\x1bb\x1bbx\x1bf\x1bf!\r");
  assert.deepEqual(lines, ["xjoin g1!"]);
});

Deno.test("applyKey() asks for completion on Tab and a clear screen on Ctrl-L", () => {
  const tab = applyKey(type(newEditor([]), "lis").state, { kind: "tab" });
  assert.ok("action" in tab && tab.action === "complete");
  const clear = applyKey(newEditor([]), decodeKeys("\x0c")[0]!);
  assert.ok("action" in clear && clear.action === "clearScreen");
});

Deno.test("renderLine() redraws and puts the cursor back", () => {
  const { state } = type(newEditor([]), "abc\x1b[D");
  assert.equal(renderLine("> ", state), "\r> abc\x1b[K\x1b[1D");
});
