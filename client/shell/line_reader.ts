/**
 * Reads lines from a terminal in raw mode through the pure line editor, so
 * the prompt supports left/right, backspace, home/end and history.
 */
import { applyKey, decodeKeys, newEditor, renderLine } from "./line_editor.ts";

const encoder = new TextEncoder();

function write(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text));
}

/**
 * Yields each line typed at the prompt until Ctrl-D on an empty line or Ctrl-C.
 * @param prompt shown before each line
 * @returns an async generator of lines
 */
export async function* readLinesRaw(prompt: string): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(1024);
  let state = newEditor([]);
  write(prompt);
  Deno.stdin.setRaw(true);
  try {
    while (true) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) return;
      for (const key of decodeKeys(decoder.decode(buffer.subarray(0, n), { stream: true }))) {
        const result = applyKey(state, key);
        state = result.state;
        if ("end" in result) {
          write("\r\n");
          return;
        }
        if ("line" in result) {
          write("\r\n");
          Deno.stdin.setRaw(false);
          yield result.line;
          Deno.stdin.setRaw(true);
          write(prompt);
        } else {
          write(renderLine(prompt, state));
        }
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
  }
}
