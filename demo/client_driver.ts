/**
 * Drives a client started with `--json`: writes one command line to its
 * stdin and reads the one JSON object it prints for the result. Results come
 * back in the order the commands were written.
 */
import type { Child } from "./children.ts";

/** One command result as the client prints it in `--json` mode. */
export interface CommandResult {
  ok: boolean;
  cmd: string | null;
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** A scripted client. */
export class ClientDriver {
  readonly child: Child;
  /** The user this client logs in as. */
  readonly user: string;
  #results: CommandResult[] = [];
  #wake: (() => void) | undefined;

  /** @param child a client started with `--json` */
  constructor(child: Child, user: string) {
    this.child = child;
    this.user = user;
    child.onStdout((line) => {
      const result = parseResult(line);
      if (result === undefined) return;
      this.#results.push(result);
      this.#wake?.();
    });
  }

  /**
   * Runs one command and returns its result, whether it succeeded or not.
   * @param words the command and its arguments (quoted when they hold spaces)
   * @throws {Error} when no result comes within `timeoutMs` or the client exits
   */
  async run(words: string[], timeoutMs = 60_000): Promise<CommandResult> {
    const skipped = this.#results.length;
    this.#results.length = 0;
    if (skipped > 0) {
      throw new Error(`${this.user}: ${skipped} unexpected result(s) before ${words[0]}`);
    }
    await this.child.writeLine(words.map(quote).join(" "));
    const deadline = Date.now() + timeoutMs;
    while (this.#results.length === 0) {
      if (this.child.exited) throw new Error(`${this.user}'s client exited during ${words[0]}`);
      if (Date.now() > deadline) throw new Error(`${this.user}: no answer to ${words[0]} in time`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 200);
        this.#wake = done;
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    return this.#results.shift()!;
  }

  /**
   * Runs one command that must succeed.
   * @returns its data
   * @throws {Error} with the client's message when it failed
   */
  async ok(words: string[], timeoutMs?: number): Promise<Record<string, unknown>> {
    const result = await this.run(words, timeoutMs);
    if (!result.ok) {
      throw new Error(`${this.user}: ${words[0]} failed: ${result.error?.message ?? "no reason"}`);
    }
    return result.data ?? {};
  }
}

function quote(word: string): string {
  return /[\s"'\\]/.test(word) ? `"${word.replace(/(["\\])/g, "\\$1")}"` : word;
}

function parseResult(line: string): CommandResult | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null && typeof value.ok === "boolean"
      ? value as CommandResult
      : undefined;
  } catch {
    return undefined;
  }
}
