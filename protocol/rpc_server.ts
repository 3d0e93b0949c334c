/**
 * Serves one control connection: reads JSON lines, hands each request to a
 * handler, and writes its reply. This is the only place control-protocol
 * errors become replies: an `AppError` keeps its code, anything else is logged
 * and answered as INTERNAL. Requests on one connection are handled one at a
 * time, which bounds the memory a single peer can hold. An idle connection
 * holds a small read buffer; a larger one is lent only while a line is in
 * flight. Broken framing (an over-long line) gets an error reply and the
 * connection is closed.
 */
import { AppError } from "./errors.ts";
import { encodeLine, LineDecoder, MAX_LINE_BYTES, parseJsonObject } from "./framing.ts";
import { errorReply, idOf, okReply, parseEnvelope, type RequestId } from "./envelope.ts";
import { SerialWriter } from "./conn_io.ts";
import type { ConnActivity } from "./conn_watch.ts";
import { ReadBuffer } from "./read_buffer.ts";

/** What a handler learns about the request besides its fields. */
export interface RequestContext {
  id: RequestId;
  /** Sends a message with no id on the same connection. */
  push(message: unknown): Promise<void>;
}

/** Answers one request; returns reply data or throws an `AppError`. */
export type RequestHandler = (
  raw: Record<string, unknown>,
  ctx: RequestContext,
) => unknown | Promise<unknown>;

/**
 * A cap on the bytes a server holds in unfinished lines across all its
 * connections: each connection may send a long line, but many connections
 * sending long lines at once must not add up to unbounded memory.
 */
export class BufferBudget {
  /** Bytes held now. */
  heldBytes = 0;
  /** @param maxBytes the most held at once */
  constructor(readonly maxBytes: number) {}
}

/** Options of {@link serveControlConn}. */
export interface ServeControlOptions {
  /** Longest request line. @default MAX_LINE_BYTES */
  maxLineBytes?: number;
  /** Shared cap on unfinished-line bytes across connections. @default no cap */
  budget?: BufferBudget;
  /** Called with errors that are bugs, not peer mistakes. @default console.error via the caller */
  onInternalError?: (error: unknown) => void;
  /** Told what the connection says and when it is answered (see accept_loop.ts). @default nothing */
  activity?: ConnActivity;
}

/** Replies that mean the line was no request of this protocol at all. */
const PROTOCOL_ERRORS: ReadonlySet<string> = new Set([
  "BAD_JSON",
  "BAD_REQUEST",
  "UNKNOWN_COMMAND",
  "FRAME_TOO_LARGE",
  "VERSION_MISMATCH",
]);

/**
 * Reads requests from `conn` until it closes, replying to each. Never throws.
 * @param conn an accepted connection; closed when this returns
 * @param handler answers one request
 */
export async function serveControlConn(
  conn: Deno.Conn,
  handler: RequestHandler,
  options: ServeControlOptions = {},
): Promise<void> {
  const decoder = new LineDecoder(options.maxLineBytes ?? MAX_LINE_BYTES);
  const writer = new SerialWriter(conn);
  const push = (message: unknown) => writer.write(encodeLine(message));
  const buffer = new ReadBuffer();
  const budget = options.budget;
  const activity = options.activity;
  let held = 0;
  try {
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    while (true) {
      const bytes = buffer.bytes;
      const n = await conn.read(bytes);
      if (n === null) break;
      activity?.heard();
      let lines: string[];
      try {
        lines = decoder.push(bytes.subarray(0, n));
      } catch (error) {
        const message = error instanceof AppError ? error.message : "Bad framing";
        await push(errorReply(null, "FRAME_TOO_LARGE", message)).catch(() => {});
        break;
      }
      if (budget !== undefined) {
        budget.heldBytes += decoder.pendingBytes - held;
        held = decoder.pendingBytes;
        if (budget.heldBytes > budget.maxBytes) {
          // Give the bytes back before the reply's await, so other
          // connections never see this one's bytes once it is refused.
          budget.heldBytes -= held;
          held = 0;
          const message = "Server is busy: too much unfinished input across connections";
          await push(errorReply(null, "UNAVAILABLE", message)).catch(() => {});
          break;
        }
      }
      buffer.settle(n, decoder.pendingBytes > 0);
      if (lines.length === 0) continue;
      const done = activity?.busy();
      try {
        for (const line of lines) {
          if (line.trim() === "") continue;
          const reply = await answer(line, handler, push, options);
          if (activity !== undefined && !PROTOCOL_ERRORS.has(errorCodeOf(reply))) {
            activity.greeted();
          }
          await writer.write(encodeLine(reply));
        }
      } finally {
        done?.();
      }
    }
  } catch {
    // The peer reset or half-closed the connection: nothing to answer.
  } finally {
    if (budget !== undefined) budget.heldBytes -= held;
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

async function answer(
  line: string,
  handler: RequestHandler,
  push: (message: unknown) => Promise<void>,
  options: ServeControlOptions,
): Promise<unknown> {
  let id: RequestId | null = null;
  try {
    const envelope = parseEnvelope(line);
    id = envelope.id;
    return okReply(id, (await handler(envelope.raw, { id, push })) ?? {});
  } catch (error) {
    if (error instanceof AppError) {
      return errorReply(id ?? recoverId(line), error.code, error.message);
    }
    options.onInternalError?.(error);
    return errorReply(id, "INTERNAL", "Internal error");
  }
}

function errorCodeOf(reply: unknown): string {
  const error = (reply as { error?: { code?: unknown } }).error;
  return typeof error?.code === "string" ? error.code : "";
}

/** The id of a request that failed validation, when the line has a usable one to echo. */
function recoverId(line: string): RequestId | null {
  try {
    return idOf(parseJsonObject(line));
  } catch {
    return null;
  }
}
