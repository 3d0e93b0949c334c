/**
 * Newline-delimited JSON framing for control messages. The decoder refuses a
 * line that grows past the limit before it buffers more of it, so a peer that
 * never sends a newline cannot grow our memory.
 */
import { AppError } from "./errors.ts";

/** Default longest control line, in bytes: room for a manifest of ~100k piece hashes. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

const NEWLINE = 0x0a;
const encoder = new TextEncoder();

/**
 * Encodes one message as a JSON line.
 * @param message a JSON-serializable object
 * @returns the UTF-8 bytes of the JSON text and a trailing newline
 */
export function encodeLine(message: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(message) + "\n");
}

/** Splits a byte stream into lines, enforcing a maximum line length. */
export class LineDecoder {
  #maxLineBytes: number;
  #chunks: Uint8Array[] = [];
  #pending = 0;
  #decoder = new TextDecoder("utf-8", { fatal: false });

  /** @param maxLineBytes longest accepted line without its newline */
  constructor(maxLineBytes: number = MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes held waiting for a newline. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /**
   * Feeds bytes and returns every line they complete (without the newline).
   * @param bytes the next bytes read from the connection
   * @returns the completed lines, possibly none
   * @throws {AppError} FRAME_TOO_LARGE when a line exceeds the limit
   */
  push(bytes: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    while (start < bytes.length) {
      const nl = bytes.indexOf(NEWLINE, start);
      const end = nl === -1 ? bytes.length : nl;
      if (this.#pending + (end - start) > this.#maxLineBytes) {
        this.#chunks = [];
        this.#pending = 0;
        throw new AppError(
          "FRAME_TOO_LARGE",
          `Line is longer than ${this.#maxLineBytes} bytes`,
        );
      }
      if (nl === -1) {
        // Copy: the caller reuses its read buffer.
        this.#chunks.push(bytes.slice(start));
        this.#pending += bytes.length - start;
        break;
      }
      lines.push(this.#take(bytes.subarray(start, nl)));
      start = nl + 1;
    }
    return lines;
  }

  #take(tail: Uint8Array): string {
    if (this.#chunks.length === 0) return this.#decoder.decode(tail);
    const whole = new Uint8Array(this.#pending + tail.length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      whole.set(chunk, offset);
      offset += chunk.length;
    }
    whole.set(tail, offset);
    this.#chunks = [];
    this.#pending = 0;
    return this.#decoder.decode(whole);
  }
}

/**
 * Parses one line as a JSON object.
 * @param line a line without its newline
 * @returns the parsed object
 * @throws {AppError} BAD_JSON when the line is not a JSON object
 */
export function parseJsonObject(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new AppError("BAD_JSON", "Message is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppError("BAD_JSON", "Message must be a JSON object");
  }
  return value as Record<string, unknown>;
}
