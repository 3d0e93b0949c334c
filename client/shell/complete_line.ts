/**
 * Tab completion's candidates, asked of the running client: the command
 * names, the groups from `list_groups`, the files of a group from
 * `list_files`. A failed lookup completes nothing.
 */
import { COMMAND_NAMES, complete, type Completion, completionTarget } from "./completion.ts";
import type { ShellResult } from "./shell.ts";

/** Runs a shell line (the client's `run`). */
export type RunLine = (line: string) => Promise<ShellResult>;

/**
 * Completes the word at the cursor.
 * @returns the completed line, and the matches to show when several remain
 */
export async function completeLine(
  run: RunLine,
  buffer: string,
  cursor: number,
): Promise<Completion> {
  const target = completionTarget(buffer, cursor);
  let candidates: string[] = [];
  if (target.kind === "command") candidates = [...COMMAND_NAMES];
  if (target.kind === "group") {
    const result = await run("list_groups");
    if (result.kind === "ok") {
      candidates = (result.data as { groups: { group: string }[] }).groups.map((g) => g.group);
    }
  }
  if (target.kind === "file" && target.group !== undefined) {
    const result = await run(`list_files "${target.group.replaceAll('"', '\\"')}"`);
    if (result.kind === "ok") {
      candidates = (result.data as { files: { name: string }[] }).files.map((f) => f.name);
    }
  }
  return complete(buffer, cursor, target, candidates);
}
