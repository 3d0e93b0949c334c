/**
 * Reads lines from a terminal in raw mode through the pure line editor, so
 * the prompt supports cursor keys, word moves, Ctrl-W/K/U/L, history, Tab
 * completion and a Ctrl-C that clears the line. Notices print above the
 * prompt, and the half-typed line is drawn again under them.
 */
import { applyKey, decodeKeys, type EditorState, newEditor, renderLine } from "./line_editor.ts";
import type { Completion } from "./completion.ts";

const encoder = new TextEncoder();

function write(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text));
}

/** Options of {@link PromptReader}. */
export interface PromptReaderOptions {
  /** Completes the word at the cursor (Tab). */
  complete?(buffer: string, cursor: number): Promise<Completion>;
}

/** The interactive prompt of a terminal. */
export class PromptReader {
  #prompt: string;
  #options: PromptReaderOptions;
  #state: EditorState = newEditor([]);
  /** True while the prompt is on screen waiting for keys. */
  #editing = false;

  constructor(prompt: string, options: PromptReaderOptions = {}) {
    this.#prompt = prompt;
    this.#options = options;
  }

  /** Prints a line above the prompt; the prompt and what was typed come back under it. */
  notice(line: string): void {
    if (!this.#editing) {
      Deno.stderr.writeSync(encoder.encode(`${line}\n`));
      return;
    }
    write(`\r\x1b[K${line.replaceAll("\n", "\r\n")}\r\n`);
    write(renderLine(this.#prompt, this.#state));
  }

  /**
   * Yields each line typed at the prompt until Ctrl-D on an empty line or a second Ctrl-C.
   * @returns an async generator of lines
   */
  async *lines(): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(1024);
    this.#begin();
    try {
      while (true) {
        const n = await Deno.stdin.read(buffer);
        if (n === null) return;
        for (const key of decodeKeys(decoder.decode(buffer.subarray(0, n), { stream: true }))) {
          const result = applyKey(this.#state, key);
          this.#state = result.state;
          if ("end" in result) {
            write("\r\n");
            return;
          }
          if ("line" in result) {
            write("\r\n");
            this.#editing = false;
            Deno.stdin.setRaw(false);
            yield result.line;
            this.#begin();
          } else if ("action" in result) {
            await this.#act(result.action);
          } else {
            write(renderLine(this.#prompt, this.#state));
          }
        }
      }
    } finally {
      this.#editing = false;
      Deno.stdin.setRaw(false);
    }
  }

  #begin(): void {
    Deno.stdin.setRaw(true);
    this.#editing = true;
    write(renderLine(this.#prompt, this.#state));
  }

  async #act(action: "cleared" | "interruptHint" | "clearScreen" | "complete"): Promise<void> {
    if (action === "cleared") write("^C\r\n");
    if (action === "interruptHint") write("\r\n(press Ctrl-C again or type quit to exit)\r\n");
    if (action === "clearScreen") write("\x1b[H\x1b[2J");
    if (action === "complete" && this.#options.complete !== undefined) {
      const { buffer, cursor } = this.#state;
      const done = await this.#options.complete(buffer, cursor).catch(() => undefined);
      if (done !== undefined) {
        this.#state = { ...this.#state, buffer: done.buffer, cursor: done.cursor };
        if (done.shown.length > 0) write(`\r\n${done.shown.join("  ")}\r\n`);
      }
    }
    write(renderLine(this.#prompt, this.#state));
  }
}
