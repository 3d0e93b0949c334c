/**
 * The transfer benchmark's tickets: its seeders trust a key derived from a
 * fixed bench secret, and its downloads carry tickets signed with it, so the
 * figures include the cost of checking them.
 */
import { deriveClusterKey } from "../protocol/cluster_key.ts";
import { signTicket } from "../protocol/ticket.ts";

/** The group the benchmark's file is shared in. */
export const BENCH_GROUP = "bench";
/** The key the benchmark's seeders trust. */
export const BENCH_KEY = deriveClusterKey("transfer bench cluster secret");

/**
 * A ticket for the benchmark's file, good for 10 minutes.
 * @returns the ticket, base64url
 */
export function benchTicket(fileHash: string): string {
  return signTicket(BENCH_KEY, {
    user: "bench",
    group: BENCH_GROUP,
    fileHash,
    notAfterMs: Date.now() + 10 * 60 * 1000,
  });
}
