/**
 * The closed set of error codes every program puts on the wire, and the one
 * error class domain code throws. A dispatcher turns an `AppError` into an
 * error reply; a client rebuilds it from the reply and branches on `code`.
 */

/** Every error code a reply may carry. */
export const ERROR_CODES = [
  "BAD_JSON", // the line is not a JSON object
  "BAD_REQUEST", // a field is missing, of the wrong type, or out of range
  "UNKNOWN_COMMAND", // `cmd` names no command of this server
  "FRAME_TOO_LARGE", // a line or frame is longer than the limit
  "VERSION_MISMATCH", // the peer speaks another protocol version
  "NOT_LOGGED_IN", // the command needs a valid session token
  "BAD_CREDENTIALS", // wrong user name or password
  "FORBIDDEN", // logged in, but not allowed (not owner, not member)
  "NOT_FOUND", // no such user, group, request or file
  "ALREADY_EXISTS", // the name is taken, or the membership already holds
  "CONFLICT", // same name with different content, or a state that forbids it
  "UNAVAILABLE", // nothing can serve this now (no live tracker, no peer)
  "UNAUTHORIZED", // a cluster link without the right secret
  "TIMEOUT", // no answer in time
  "INTERNAL", // a bug: logged on the server, never explained on the wire
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = typeof ERROR_CODES[number];

const codeSet: ReadonlySet<string> = new Set(ERROR_CODES);

/**
 * Tells whether a value is one of the known error codes.
 * @param value anything read off the wire
 * @returns true when `value` is an {@link ErrorCode}
 */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && codeSet.has(value);
}

/** A failure the user or peer caused, carrying its wire code. */
export class AppError extends Error {
  /** The stable code put on the wire. */
  readonly code: ErrorCode;

  /**
   * @param code the wire code
   * @param message one human sentence, e.g. `Cannot join group "g1": user "bob" is already a member`
   */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "AppError";
    this.code = code;
  }
}

/**
 * Describes an unexpected error for a log line: its stack when it has one.
 * @param error anything thrown
 * @returns the stack, else the message, else the value as text
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
