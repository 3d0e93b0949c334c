/**
 * Tab completion at the prompt: which kind of word the cursor is on (a
 * command, a group, a file of the group typed before it, a command for
 * `help`), and the line once the candidates are known. Pure; the candidates
 * come from the caller.
 */
import { commandNamed, COMMANDS } from "./command_table.ts";

/** What the word under the cursor names. */
export interface CompletionTarget {
  kind: "command" | "group" | "file" | "none";
  /** The word typed so far (without an opening quote). */
  prefix: string;
  /** Where that word starts in the line. */
  start: number;
  /** For a file: the group typed before it. */
  group?: string;
}

/** The line after completing. */
export interface Completion {
  buffer: string;
  cursor: number;
  /** The candidates to show when more than one matches. */
  shown: string[];
}

/** Every command name. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

/**
 * Finds what the word at the cursor names.
 * @returns the target; kind "none" where nothing completes (passwords, paths)
 */
export function completionTarget(buffer: string, cursor: number): CompletionTarget {
  const before = buffer.slice(0, cursor);
  const words = before.split(/ +/);
  const current = words.pop() ?? "";
  const start = before.length - current.length;
  const prefix = current.replace(/^"/, "");
  const typed = words.filter((w) => w !== "");
  if (typed.length === 0) return { kind: "command", prefix, start };
  const command = commandNamed(typed[0]!);
  const argName = command?.args[typed.length - 1]?.replace(/\?$/, "");
  if (argName === "group") return { kind: "group", prefix, start };
  if (argName === "command") return { kind: "command", prefix, start };
  const groupAt = command?.args.findIndex((a) => a === "group") ?? -1;
  const group = groupAt >= 0 ? typed[groupAt + 1]?.replace(/^"|"$/g, "") : undefined;
  if (argName === "name" && group !== undefined) return { kind: "file", prefix, start, group };
  return { kind: "none", prefix, start };
}

/**
 * Completes the word at the cursor from the candidates: one match is put in
 * whole (quoted when it holds a space), several extend to what they share.
 * @returns the new line and cursor, and the matches to show when several remain
 */
export function complete(
  buffer: string,
  cursor: number,
  target: CompletionTarget,
  candidates: readonly string[],
): Completion {
  const matches = [...new Set(candidates)].filter((c) => c.startsWith(target.prefix)).sort();
  if (matches.length === 0) return { buffer, cursor, shown: [] };
  const rest = buffer.slice(cursor);
  const put = (word: string, done: boolean) => {
    const text = /[\s"]/.test(word) ? `"${word.replaceAll('"', '\\"')}${done ? '"' : ""}` : word;
    const head = buffer.slice(0, target.start) + text + (done && !rest.startsWith(" ") ? " " : "");
    return { buffer: head + rest, cursor: head.length };
  };
  if (matches.length === 1) return { ...put(matches[0]!, true), shown: [] };
  const shared = commonPrefix(matches);
  return { ...put(shared, false), shown: matches };
}

function commonPrefix(words: string[]): string {
  let prefix = words[0]!;
  for (const word of words) {
    while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}
