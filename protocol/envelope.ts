/**
 * The request/reply envelope shared by every control connection: requests
 * carry `id`, `cmd` and optionally the protocol version `v`; replies echo the
 * `id` with either `ok: true` and `data`, or `ok: false` and an error.
 */
import { AppError, type ErrorCode } from "./errors.ts";
import { parseJsonObject } from "./framing.ts";

/** The control protocol version; a request that names another gets VERSION_MISMATCH. */
export const PROTOCOL_VERSION = 1;

/** A request id: an integer or a short string, chosen by the requester. */
export type RequestId = number | string;

/** A successful reply. */
export interface OkReply<T = unknown> {
  id: RequestId | null;
  ok: true;
  data: T;
}

/** A failed reply. */
export interface ErrorReply {
  id: RequestId | null;
  ok: false;
  error: { code: ErrorCode; message: string };
}

/** Any reply. */
export type Reply<T = unknown> = OkReply<T> | ErrorReply;

/** A request line split into its id and the rest. */
export interface Envelope {
  id: RequestId;
  raw: Record<string, unknown>;
}

/**
 * Reads the id of a raw message, if it has a usable one, so an error reply can echo it.
 * @returns the id, or null
 */
export function idOf(raw: Record<string, unknown>): RequestId | null {
  const id = raw["id"];
  if (typeof id === "number" && Number.isSafeInteger(id)) return id;
  if (typeof id === "string" && id.length <= 64) return id;
  return null;
}

/**
 * Parses one request line: JSON object, usable `id`, matching version.
 * @param line one line without its newline
 * @returns the id and the raw object
 * @throws {AppError} BAD_JSON, BAD_REQUEST or VERSION_MISMATCH; {@link idOf} recovers the id to echo
 */
export function parseEnvelope(line: string): Envelope {
  const raw = parseJsonObject(line);
  const id = idOf(raw);
  if (id === null) {
    throw new AppError("BAD_REQUEST", 'Field "id" must be an integer or a string of at most 64');
  }
  const v = raw["v"];
  if (v !== undefined && v !== PROTOCOL_VERSION) {
    throw new AppError(
      "VERSION_MISMATCH",
      `Protocol version ${
        JSON.stringify(v)
      } is not supported; this server speaks ${PROTOCOL_VERSION}`,
    );
  }
  return { id, raw };
}

/**
 * Builds a success reply.
 * @returns the reply object
 */
export function okReply<T>(id: RequestId | null, data: T): OkReply<T> {
  return { id, ok: true, data };
}

/**
 * Builds an error reply.
 * @returns the reply object
 */
export function errorReply(id: RequestId | null, code: ErrorCode, message: string): ErrorReply {
  return { id, ok: false, error: { code, message } };
}
