/**
 * The shell's command table: each command's arguments, whether it needs a
 * login, and its one-line help. `parseCommand` checks a typed line locally
 * (known command, argument count, names well formed, logged in) so a mistake
 * gets a clear one-line error before anything is sent to a tracker. Pure.
 */
import { AppError } from "../../protocol/errors.ts";
import { isFileName, isIdent } from "../../protocol/validate.ts";

/** One shell command. */
export interface CommandSpec {
  name: string;
  /** Argument names, in order, as shown in the usage line; a trailing `?` marks an optional one. */
  args: readonly string[];
  /** True when the command needs a logged-in session. */
  login: boolean;
  summary: string;
}

const spec = (name: string, args: string[], login: boolean, summary: string): CommandSpec => ({
  name,
  args,
  login,
  summary,
});

/** Every shell command, in the order `help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  spec("create_user", ["user", "password"], false, "Create an account"),
  spec("login", ["user", "password"], false, "Log in (and re-announce your shares)"),
  spec("logout", [], true, "Log out"),
  spec("create_group", ["group"], true, "Create a group you own"),
  spec("join_group", ["group"], true, "Ask to join a group"),
  spec("leave_group", ["group"], true, "Leave a group"),
  spec("list_groups", [], true, "List every group and your role in it"),
  spec("list_requests", ["group"], true, "List pending join requests (owner)"),
  spec("accept_request", ["group", "user"], true, "Accept a join request (owner)"),
  spec("reject_request", ["group", "user"], true, "Reject a join request (owner)"),
  spec("upload_file", ["path", "group"], true, "Share a file with a group"),
  spec("list_files", ["group"], true, "List the files shared in a group"),
  spec(
    "download_file",
    ["group", "name", "destination"],
    true,
    "Download a file (to a directory or a new file path)",
  ),
  spec("stop_share", ["group", "name"], true, "Stop sharing a file"),
  spec("show_downloads", ["id?"], false, "Show downloads; with an id, one in full (peers, error)"),
  spec("cancel_download", ["group", "name"], true, "Stop a running download for good"),
  spec("retry_download", ["id"], true, "Start a failed download again, keeping verified pieces"),
  spec("clear_downloads", [], false, "Forget the downloads that completed or failed"),
  spec("wait", [], false, "Wait until every running download has finished"),
  spec("whoami", [], false, "Show the logged-in user and the tracker in use"),
  spec("help", ["command?"], false, "List the commands, or explain one"),
  spec("quit", [], false, "Stop the client"),
];

const BY_NAME: ReadonlyMap<string, CommandSpec> = new Map(COMMANDS.map((c) => [c.name, c]));

/** A command line that passed the local checks. */
export interface ParsedCommand {
  name: string;
  args: string[];
}

/**
 * The usage line of a command, e.g. `download_file <group> <name> <destination>`.
 * @returns the usage text
 */
export function usageOf(command: CommandSpec): string {
  const shown = command.args.map((a) => a.endsWith("?") ? `[${a.slice(0, -1)}]` : `<${a}>`);
  return [command.name, ...shown].join(" ");
}

/** @returns the command of that name, if any */
export function commandNamed(name: string): CommandSpec | undefined {
  return BY_NAME.get(name);
}

/**
 * Checks a split command line locally.
 * @param words the words of the line (at least one)
 * @param loggedIn whether a session is logged in
 * @returns the command name and its arguments
 * @throws {AppError} UNKNOWN_COMMAND, BAD_REQUEST (arguments) or NOT_LOGGED_IN
 */
export function parseCommand(words: readonly string[], loggedIn: boolean): ParsedCommand {
  const [name = "", ...args] = words;
  const command = BY_NAME.get(name);
  if (command === undefined) {
    throw new AppError("UNKNOWN_COMMAND", `Unknown command "${name}"; type "help" for the list`);
  }
  const most = command.args.length;
  const least = command.args.filter((a) => !a.endsWith("?")).length;
  if (args.length < least || args.length > most) {
    const count = least === most ? String(most) : `${least} or ${most}`;
    throw new AppError(
      "BAD_REQUEST",
      `${name} takes ${count} argument${most === 1 ? "" : "s"}, ` +
        `got ${args.length}; usage: ${usageOf(command)}`,
    );
  }
  args.forEach((value, i) => checkArg(command.args[i]!.replace(/\?$/, ""), value));
  if (command.login && !loggedIn) {
    throw new AppError("NOT_LOGGED_IN", `${name} needs a login; use: login <user> <password>`);
  }
  return { name, args };
}

function checkArg(argName: string, value: string): void {
  if (argName === "user" || argName === "group") {
    if (!isIdent(value)) {
      throw new AppError(
        "BAD_REQUEST",
        `"${value}" is not a valid ${argName} name: use 1-64 letters, digits or _ . @ -`,
      );
    }
  } else if (argName === "name") {
    if (!isFileName(value)) {
      throw new AppError(
        "BAD_REQUEST",
        `"${value}" is not a valid file name: 1-255 characters, no slashes`,
      );
    }
  } else if (argName === "id") {
    if (!/^[1-9]\d{0,9}$/.test(value)) {
      throw new AppError("BAD_REQUEST", `"${value}" is not a download id; see show_downloads`);
    }
  } else if (value === "") {
    throw new AppError("BAD_REQUEST", `The ${argName} must not be empty`);
  }
}

/**
 * The help text: every command with its usage and summary.
 * @returns one line per command
 */
export function helpLines(): { usage: string; summary: string; login: boolean }[] {
  return COMMANDS.map((c) => ({ usage: usageOf(c), summary: c.summary, login: c.login }));
}
