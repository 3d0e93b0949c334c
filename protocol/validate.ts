/**
 * Field validators shared by every message parser. Each takes the raw object
 * and a field name, and returns the typed value or throws BAD_REQUEST with a
 * message that names the field.
 */
import { AppError } from "./errors.ts";

type Raw = Record<string, unknown>;

function bad(field: string, what: string): AppError {
  return new AppError("BAD_REQUEST", `Field "${field}" must be ${what}`);
}

// Control and format characters have no place in names shown to people:
// C0/C1 controls (Cc), and bidi overrides, isolates and zero-width
// characters (Cf) that make one name look like another.
const CONTROL = /[\p{Cc}\p{Cf}]/u;
const IDENT = /^[A-Za-z0-9_.@-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const HOST_PORT = /^[A-Za-z0-9.-]{1,253}:\d{1,5}$|^\[[0-9a-fA-F:.]{2,45}\]:\d{1,5}$/;

/**
 * A string field of bounded length.
 * @returns the string
 * @throws {AppError} BAD_REQUEST
 */
export function str(raw: Raw, field: string, maxLength = 1024): string {
  const value = raw[field];
  if (typeof value !== "string" || value.length === 0 || value.length > maxLength) {
    throw bad(field, `a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

/**
 * A user or group name: 1-64 letters, digits, `_ . @ -`.
 * @throws {AppError} BAD_REQUEST
 */
export function ident(raw: Raw, field: string): string {
  const value = raw[field];
  if (typeof value !== "string" || !IDENT.test(value)) {
    throw bad(field, "1-64 letters, digits or _ . @ -");
  }
  return value;
}

/**
 * A file name: 1-255 characters, no control characters, no slashes, not `.` or `..`.
 * @throws {AppError} BAD_REQUEST
 */
export function fileName(raw: Raw, field: string): string {
  const value = raw[field];
  if (
    typeof value !== "string" || value.length === 0 || value.length > 255 ||
    CONTROL.test(value) || value.includes("/") || value.includes("\\") ||
    value === "." || value === ".."
  ) {
    throw bad(
      field,
      "a file name of 1-255 characters without slashes, control or format characters",
    );
  }
  return value;
}

/**
 * A non-negative safe integer no larger than `max`.
 * @throws {AppError} BAD_REQUEST
 */
export function uint(raw: Raw, field: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = raw[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw bad(field, `an integer from 0 to ${max}`);
  }
  return value;
}

/**
 * A lowercase hex SHA-256 digest.
 * @throws {AppError} BAD_REQUEST
 */
export function sha256Hex(raw: Raw, field: string): string {
  const value = raw[field];
  if (typeof value !== "string" || !HEX64.test(value)) {
    throw bad(field, "a SHA-256 digest in lowercase hex");
  }
  return value;
}

/**
 * A `host:port` address.
 * @throws {AppError} BAD_REQUEST
 */
export function hostPort(raw: Raw, field: string): string {
  const value = raw[field];
  if (typeof value !== "string" || !HOST_PORT.test(value)) {
    throw bad(field, "an address host:port");
  }
  const port = Number(value.slice(value.lastIndexOf(":") + 1));
  if (port < 1 || port > 65535) throw bad(field, "an address with a port from 1 to 65535");
  return value;
}

/**
 * A nested JSON object.
 * @throws {AppError} BAD_REQUEST
 */
export function obj(raw: Raw, field: string): Raw {
  const value = raw[field];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw bad(field, "an object");
  }
  return value as Raw;
}

/**
 * Makes an optional field: absent (or null) gives `undefined`, present is checked.
 * @returns the checked value or undefined
 */
export function optional<T>(
  raw: Raw,
  field: string,
  check: (raw: Raw, field: string) => T,
): T | undefined {
  return raw[field] === undefined || raw[field] === null ? undefined : check(raw, field);
}

/**
 * Picks the parser of a message's `cmd` from a table and runs it.
 * @param raw the message
 * @param parsers one parser per command name
 * @returns what the command's parser returns
 * @throws {AppError} BAD_REQUEST without a `cmd`, UNKNOWN_COMMAND for a name not in the table
 */
export function parseByCommand<T>(raw: Raw, parsers: Readonly<Record<string, (raw: Raw) => T>>): T {
  const cmd = raw["cmd"];
  if (typeof cmd !== "string") {
    throw new AppError("BAD_REQUEST", 'Field "cmd" must be a command name');
  }
  const parser = Object.hasOwn(parsers, cmd) ? parsers[cmd] : undefined;
  if (parser === undefined) {
    throw new AppError("UNKNOWN_COMMAND", `Unknown command "${cmd.slice(0, 64)}"`);
  }
  return parser(raw);
}
