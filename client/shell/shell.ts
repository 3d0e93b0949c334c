/**
 * client/shell/ is the part of the client a person talks to: the interactive
 * loop reads lines (line_reader.ts, line_editor.ts), splits them into words
 * (shell_words.ts), checks them against the command table (command_table.ts),
 * runs them here, and prints results, notices and progress bars (output.ts,
 * progress_bar.ts). It holds no state of its own: it calls the session and
 * the local managers that client/app.ts hands it.
 *
 * Runs one line of the shell: split it into words, check it locally, and
 * carry it out through the tracker session, the shares and the downloads.
 * Returns a result for the output module; never prints.
 */
import { AppError, type ErrorCode } from "../../protocol/errors.ts";
import { commandNamed, helpLines, parseCommand, usageOf } from "./command_table.ts";
import type { DownloadManager } from "../local/download_manager.ts";
import type { ShareManager } from "../local/share_manager.ts";
import { splitWords } from "./shell_words.ts";
import type { TrackerSession } from "../session/tracker_session.ts";

/** What one line produced. */
export type ShellResult =
  | { kind: "empty" }
  | { kind: "ok"; cmd: string; data: unknown }
  | { kind: "error"; cmd: string | null; code: ErrorCode; message: string };

/** What the shell drives. */
export interface ShellDeps {
  session: TrackerSession;
  shares: ShareManager;
  downloads: DownloadManager;
}

type Handler = (deps: ShellDeps, args: string[]) => Promise<unknown>;

const TRACKER_PASSTHROUGH: Record<string, string[]> = {
  create_group: ["group"],
  join_group: ["group"],
  list_groups: [],
  list_requests: ["group"],
  accept_request: ["group", "user"],
  reject_request: ["group", "user"],
  list_files: ["group"],
};

const HANDLERS: Record<string, Handler> = {
  create_user: (d, [user, password]) => d.session.call("create_user", { user, password }),
  login: async (d, [user, password]) => {
    // Logging in as someone else is explicit: the reply says whom it replaced.
    const previous = d.session.user;
    const reply = await d.session.login(user!, password!);
    return {
      user: reply.user,
      tracker: d.session.trackerAddr ?? null,
      previousUser: previous !== undefined && previous !== reply.user ? previous : null,
    };
  },
  whoami: () => Promise.resolve(undefined), // answered by execute() itself (no I/O)
  logout: async (d) => {
    await d.session.logout();
    return {};
  },
  leave_group: async (d, [group]) => {
    const reply = await d.session.call("leave_group", { group });
    d.shares.forgetGroup(group!);
    return reply;
  },
  upload_file: (d, [path, group]) => d.shares.upload(path!, group!),
  download_file: (d, [group, name, dest]) => d.downloads.start(group!, name!, dest!),
  stop_share: (d, [group, name]) => d.shares.stop(group!, name!),
  cancel_download: (d, [group, name]) => d.downloads.cancel(group!, name!),
  show_downloads: () => Promise.resolve(undefined), // answered by execute() itself (no I/O)
  retry_download: (d, [id]) => d.downloads.retry(Number(id)),
  clear_downloads: (d) => Promise.resolve({ cleared: d.downloads.clearFinished() }),
  wait: async (d) => ({ downloads: await d.downloads.waitAll() }),
  help: (_d, [name]) => Promise.resolve({ commands: helpFor(name) }),
  quit: () => Promise.resolve({}),
};

/**
 * Runs one line.
 * @param line what the user typed
 * @returns the result; errors are results too, never thrown (a bug is an INTERNAL result)
 */
export async function runLine(deps: ShellDeps, line: string): Promise<ShellResult> {
  let cmd: string | null = null;
  try {
    const words = splitWords(line);
    if (words.length === 0 || words[0]!.startsWith("#")) return { kind: "empty" };
    cmd = words[0]!;
    const parsed = parseCommand(words, deps.session.user !== undefined);
    return { kind: "ok", cmd, data: await execute(deps, parsed.name, parsed.args) };
  } catch (error) {
    if (error instanceof AppError) {
      return { kind: "error", cmd, code: error.code, message: error.message };
    }
    // A bug: the user gets one line and the client keeps running and seeding.
    const detail = error instanceof Error ? error.message : String(error);
    return { kind: "error", cmd, code: "INTERNAL", message: `Internal error: ${detail}` };
  }
}

function helpFor(name: string | undefined): ReturnType<typeof helpLines> {
  if (name === undefined) return helpLines();
  const command = commandNamed(name);
  if (command === undefined) {
    throw new AppError("UNKNOWN_COMMAND", `Unknown command "${name}"; type "help" for the list`);
  }
  return [{ usage: usageOf(command), summary: command.summary, login: command.login }];
}

function execute(deps: ShellDeps, name: string, args: string[]): Promise<unknown> {
  if (name === "show_downloads") return Promise.resolve(showDownloads(deps, args[0]));
  if (name === "whoami") {
    return Promise.resolve({
      user: deps.session.user ?? null,
      tracker: deps.session.trackerAddr ?? null,
    });
  }
  const fields = TRACKER_PASSTHROUGH[name];
  if (fields !== undefined) {
    const body = Object.fromEntries(fields.map((f, i) => [f, args[i]]));
    return deps.session.call(name as "list_files", body);
  }
  return HANDLERS[name]!(deps, args);
}

function showDownloads(deps: ShellDeps, id: string | undefined): unknown {
  const all = deps.downloads.list();
  if (id === undefined) return { downloads: all };
  const one = all.find((v) => v.id === Number(id));
  if (one === undefined) throw new AppError("NOT_FOUND", `No download ${id}; see show_downloads`);
  return { downloads: [one], detail: true };
}
