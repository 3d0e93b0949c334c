/**
 * Reads `tracker_info.txt`: one tracker address `host:port` per line, blank
 * lines and `#` comments ignored. Line N (1-based) is tracker N.
 */
import { AppError } from "../protocol/errors.ts";
import { parseHostPort } from "../protocol/conn_io.ts";

/**
 * Parses the text of a tracker list.
 * @param text the file's content
 * @returns the addresses in order
 * @throws {AppError} BAD_REQUEST when a line is not an address
 */
export function parseTrackerInfo(text: string): string[] {
  const addrs: string[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const trimmed = line.replace(/#.*$/, "").trim();
    if (trimmed === "") continue;
    try {
      parseHostPort(trimmed);
    } catch {
      throw new AppError(
        "BAD_REQUEST",
        `Line ${index + 1} "${trimmed}" is not an address host:port`,
      );
    }
    addrs.push(trimmed);
  }
  return addrs;
}

/**
 * Splits a tracker list into this tracker's address and its peers.
 * @param addrs the list from {@link parseTrackerInfo}
 * @param id this tracker's 1-based line number
 * @returns its own address and the other addresses
 * @throws {AppError} BAD_REQUEST when `id` names no line
 */
export function pickSelf(addrs: string[], id: number): { self: string; peers: string[] } {
  const self = addrs[id - 1];
  if (self === undefined) {
    throw new AppError("BAD_REQUEST", `Tracker id ${id} is not in the list of ${addrs.length}`);
  }
  return { self, peers: addrs.filter((_, i) => i !== id - 1) };
}
