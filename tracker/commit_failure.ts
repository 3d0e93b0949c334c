/** How a failed op-log commit is told to users and operators. */

/**
 * Says why a commit failed, naming a full disk as such.
 * @param error what SQLite threw
 * @returns e.g. "the disk is full (SQLite: database or disk is full)"
 */
export function commitFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const full = /disk is full|SQLITE_FULL|no space left/i.test(message);
  return `${full ? "the disk is full" : "the op log cannot be written"} (SQLite: ${message})`;
}
