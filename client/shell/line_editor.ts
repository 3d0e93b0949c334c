/**
 * A small line editor as a pure state machine: decode terminal key bytes,
 * apply a key to the line being edited (insert, backspace, delete, left,
 * right, home, end, word left and right, Ctrl-W/K/U, history up and down,
 * Ctrl-C that clears the line first and ends only when pressed again), and
 * render the line. The terminal I/O lives in `line_reader.ts`.
 */

/** One decoded key. */
export type Key =
  | { kind: "char"; text: string }
  | {
    kind:
      | "enter"
      | "backspace"
      | "delete"
      | "left"
      | "right"
      | "home"
      | "end"
      | "up"
      | "down"
      | "interrupt"
      | "eof"
      | "kill"
      | "killEnd"
      | "deleteWord"
      | "wordLeft"
      | "wordRight"
      | "clearScreen"
      | "tab";
  };

/** The line being edited and the history. */
export interface EditorState {
  buffer: string;
  cursor: number;
  history: readonly string[];
  /** Index into history while browsing it; history.length means the new line. */
  historyAt: number;
  /** The new line kept aside while browsing history. */
  draft: string;
  /** The last key was a Ctrl-C on an empty line: another one ends input. */
  interrupted?: boolean;
}

/** What applying a key produced. */
export type EditResult =
  | { state: EditorState }
  | { state: EditorState; line: string }
  | { state: EditorState; end: "eof" | "interrupt" }
  | { state: EditorState; action: "cleared" | "interruptHint" | "clearScreen" | "complete" };

const ESCAPES: Record<string, Key["kind"]> = {
  "[A": "up",
  "[B": "down",
  "[C": "right",
  "[D": "left",
  "[H": "home",
  "[F": "end",
  "OH": "home",
  "OF": "end",
  "[1~": "home",
  "[4~": "end",
  "[3~": "delete",
};

/**
 * Decodes the bytes of one terminal read into keys.
 * @param text the read bytes as text
 * @returns the keys; unknown escape sequences are dropped
 */
export function decodeKeys(text: string): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = ch.charCodeAt(0);
    if (ch === "\x1b") {
      const alt = text[i + 1];
      if (alt === "b" || alt === "f") {
        keys.push({ kind: alt === "b" ? "wordLeft" : "wordRight" });
        i += 1;
        continue;
      }
      const match = /^(\[[0-9;]*[A-Za-z~]|O[A-Za-z])/.exec(text.slice(i + 1));
      if (match === null) {
        if (alt !== undefined && alt.charCodeAt(0) >= 0x20) i += 1; // Alt-<key> we do not know
        continue;
      }
      const kind = ESCAPES[match[1]!];
      if (kind !== undefined) keys.push({ kind } as Key);
      i += match[0].length;
    } else if (ch === "\r" || ch === "\n") keys.push({ kind: "enter" });
    else if (code === 0x7f || code === 0x08) keys.push({ kind: "backspace" });
    else if (code === 0x03) keys.push({ kind: "interrupt" });
    else if (code === 0x04) keys.push({ kind: "eof" });
    else if (code === 0x01) keys.push({ kind: "home" });
    else if (code === 0x05) keys.push({ kind: "end" });
    else if (code === 0x15) keys.push({ kind: "kill" });
    else if (code === 0x0b) keys.push({ kind: "killEnd" });
    else if (code === 0x17) keys.push({ kind: "deleteWord" });
    else if (code === 0x0c) keys.push({ kind: "clearScreen" });
    else if (code === 0x09) keys.push({ kind: "tab" });
    else if (code >= 0x20) keys.push({ kind: "char", text: ch });
  }
  return keys;
}

/**
 * A fresh editor over a history.
 * @returns the state of an empty line
 */
export function newEditor(history: readonly string[]): EditorState {
  return { buffer: "", cursor: 0, history, historyAt: history.length, draft: "" };
}

/**
 * Applies one key.
 * @returns the new state, and the finished line or the end of input when there is one
 */
export function applyKey(state: EditorState, key: Key): EditResult {
  const s = state.interrupted ? { ...state, interrupted: false } : state;
  const { buffer, cursor } = s;
  switch (key.kind) {
    case "char":
      return edit(s, buffer.slice(0, cursor) + key.text + buffer.slice(cursor), cursor + 1);
    case "backspace":
      return cursor === 0
        ? { state: s }
        : edit(s, buffer.slice(0, cursor - 1) + buffer.slice(cursor), cursor - 1);
    case "delete":
      return edit(s, buffer.slice(0, cursor) + buffer.slice(cursor + 1), cursor);
    case "kill":
      return edit(s, "", 0);
    case "killEnd":
      return edit(s, buffer.slice(0, cursor), cursor);
    case "deleteWord": {
      const start = wordStart(buffer, cursor);
      return edit(s, buffer.slice(0, start) + buffer.slice(cursor), start);
    }
    case "wordLeft":
      return { state: { ...s, cursor: wordStart(buffer, cursor) } };
    case "wordRight":
      return { state: { ...s, cursor: wordEnd(buffer, cursor) } };
    case "clearScreen":
      return { state: s, action: "clearScreen" };
    case "tab":
      return { state: s, action: "complete" };
    case "left":
      return { state: { ...s, cursor: Math.max(0, cursor - 1) } };
    case "right":
      return { state: { ...s, cursor: Math.min(buffer.length, cursor + 1) } };
    case "home":
      return { state: { ...s, cursor: 0 } };
    case "end":
      return { state: { ...s, cursor: buffer.length } };
    case "up":
    case "down":
      return { state: browse(s, key.kind === "up" ? -1 : 1) };
    case "enter": {
      const history = buffer.trim() === "" || s.history.at(-1) === buffer
        ? s.history
        : [...s.history, buffer];
      return { state: newEditor(history), line: buffer };
    }
    case "eof":
      return buffer === ""
        ? { state: s, end: "eof" }
        : edit(s, buffer.slice(0, cursor) + buffer.slice(cursor + 1), cursor);
    case "interrupt":
      // Clears a typed line; on an empty line it warns once, then ends.
      if (buffer !== "") return { state: { ...newEditor(s.history) }, action: "cleared" };
      if (state.interrupted) return { state: s, end: "interrupt" };
      return { state: { ...s, interrupted: true }, action: "interruptHint" };
  }
}

function wordStart(buffer: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && buffer[i - 1] === " ") i--;
  while (i > 0 && buffer[i - 1] !== " ") i--;
  return i;
}

function wordEnd(buffer: string, cursor: number): number {
  let i = cursor;
  while (i < buffer.length && buffer[i] === " ") i++;
  while (i < buffer.length && buffer[i] !== " ") i++;
  return i;
}

function edit(s: EditorState, buffer: string, cursor: number): EditResult {
  return { state: { ...s, buffer, cursor } };
}

function browse(s: EditorState, step: number): EditorState {
  const at = Math.max(0, Math.min(s.history.length, s.historyAt + step));
  if (at === s.historyAt) return s;
  const draft = s.historyAt === s.history.length ? s.buffer : s.draft;
  const buffer = at === s.history.length ? draft : s.history[at]!;
  return { ...s, historyAt: at, draft, buffer, cursor: buffer.length };
}

/**
 * The terminal text that redraws the line: carriage return, prompt, buffer, clear to
 * the end, and the cursor moved back to its place.
 * @returns the escape sequence text
 */
export function renderLine(prompt: string, s: EditorState): string {
  const back = s.buffer.length - s.cursor;
  return `\r${prompt}${s.buffer}\x1b[K${back > 0 ? `\x1b[${back}D` : ""}`;
}
