/**
 * What every program says the same way: its usage line, its `--version`,
 * the one-line error format (`tracker: --port: "abc" is not a port number
 * (0-65535)`), the exit codes, and the hint for an operator's mistake (a port
 * in use, a path it may not write, a host it cannot resolve) in place of a
 * stack trace.
 */
import { PROTOCOL_VERSION } from "./envelope.ts";
import { PEER_PROTOCOL_VERSION } from "./peer_frames.ts";

/** The project's version, shown by `--version`. */
export const PROJECT_VERSION = "0.9.0";

/** Exit status: all went well. */
export const EXIT_OK = 0;
/** Exit status: something failed while running (a port in use, a command that failed). */
export const EXIT_FAILURE = 1;
/** Exit status: the command line was wrong. */
export const EXIT_USAGE = 2;

/**
 * The usage line every program's `--help` starts with.
 * @returns `Usage: deno task <program> [options]` plus the positional forms
 */
export function usageLine(program: string, positional = ""): string {
  return `Usage: deno task ${program} [options]${positional === "" ? "" : ` ${positional}`}`;
}

/**
 * The `--version` text.
 * @returns one line: program, project version, both protocol versions
 */
export function versionText(program: string): string {
  return `${program} ${PROJECT_VERSION} (control protocol ${PROTOCOL_VERSION}, ` +
    `peer protocol ${PEER_PROTOCOL_VERSION}, deno ${Deno.version.deno})`;
}

/**
 * The one line a program prints for an error.
 * @returns `<program>: <message>` with only the first line of the message
 */
export function errorLine(program: string, message: string): string {
  return `${program}: ${message.split("\n")[0]!.trim()}`;
}

/**
 * Says what an operating-system error means and what to do about it.
 * @param error what was thrown
 * @param what what was being done, e.g. `listen on 127.0.0.1:7000`
 * @returns one line, without the program's name
 */
export function explainError(error: unknown, what: string): string {
  const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
  const path = /(?:path|file)?\s*["']([^"']+)["']/.exec(message)?.[1];
  const at = path === undefined ? "" : ` (${path})`;
  if (error instanceof Deno.errors.AddrInUse) {
    return `cannot ${what}: the port is in use; stop what holds it or pick another --port`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `cannot ${what}: no interface has that address; give --host an address of this machine`;
  }
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    if (/--allow-/.test(message)) {
      return `cannot ${what}: this program may not touch that path${at}; pick another`;
    }
    return `cannot ${what}: permission denied${at}; pick a path or port you may use`;
  }
  if (/read-only file system/i.test(message)) {
    return `cannot ${what}: the file system is read-only${at}; pick a writable --data-dir`;
  }
  if (error instanceof Deno.errors.NotADirectory || /not a directory/i.test(message)) {
    return `cannot ${what}: a file stands where a directory should be${at}; pick another path`;
  }
  if (error instanceof Deno.errors.AlreadyExists || /file exists/i.test(message)) {
    return `cannot ${what}: a file stands where a directory should be${at}; pick another path`;
  }
  if (/name or service not known|failed to lookup address|dns error|nodename/i.test(message)) {
    return `cannot ${what}: the host name does not resolve; check --host`;
  }
  if (error instanceof Deno.errors.NotFound) {
    return `cannot ${what}: not found${at}; check the path`;
  }
  return `cannot ${what}: ${message}`;
}

/**
 * Runs a program's `main()` so that nothing escapes as a stack trace: an
 * uncaught error becomes one line and exit status 1.
 * @returns the exit status
 */
export async function runProgram(
  program: string,
  main: () => Promise<number>,
): Promise<number> {
  try {
    return await main();
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(errorLine(program, explainError(error, "go on")));
    return EXIT_FAILURE;
  }
}
