/**
 * The tracker list file (`tracker_info.txt`) that clients and trackers both
 * read: one tracker address `host:port` per line, blank lines and `#`
 * comments skipped. For a tracker, line N (1-based) is tracker N.
 */
import { AppError } from "./errors.ts";
import { parseHostPort } from "./conn_io.ts";

/**
 * Parses the text of a tracker list.
 * @param text the file's content
 * @returns the addresses in order
 * @throws {AppError} BAD_REQUEST naming the first line that is not an address
 */
export function parseTrackerList(text: string): string[] {
  const addrs: string[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const trimmed = line.replace(/#.*$/, "").trim();
    if (trimmed === "") continue;
    try {
      parseHostPort(trimmed);
    } catch {
      throw new AppError(
        "BAD_REQUEST",
        `line ${index + 1}: "${trimmed}" is not an address host:port`,
      );
    }
    addrs.push(trimmed);
  }
  return addrs;
}
