/**
 * Finds this tracker in `tracker_info.txt` (parsed by
 * protocol/tracker_list.ts): line N (1-based) is tracker N.
 */
import { AppError } from "../protocol/errors.ts";

/**
 * Splits a tracker list into this tracker's address and its peers.
 * @param addrs the parsed list
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
