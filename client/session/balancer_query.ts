/**
 * Asks the balancers for a live tracker, and tells them which one seems
 * dead (a hint: the balancer checks before it believes it).
 */
import { RpcClient } from "../../protocol/rpc_client.ts";

/** Options of {@link askBalancers}. */
export interface BalancerQuery {
  /** Trackers the answer must not be. */
  exclude: string[];
  /** A tracker that stopped answering, reported with `report_dead`. */
  dead: string | undefined;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Dial with TLS, trusting these roots (PEM). @default plain TCP */
  caCerts?: string[] | undefined;
}

/** A balancer's suggestion. */
export interface Suggestion {
  addr: string;
  /** The balancer says it took this tracker only on a proof of the cluster secret. */
  verified: boolean;
}

/**
 * Asks each balancer in turn for the least-loaded live tracker.
 * @param balancers balancer addresses, host:port
 * @returns the first answer, or undefined when no balancer answered with a tracker
 */
export async function askBalancers(
  balancers: readonly string[],
  query: BalancerQuery,
): Promise<Suggestion | undefined> {
  for (const addr of balancers) {
    let rpc: RpcClient | undefined;
    try {
      rpc = await RpcClient.connect(addr, {
        connectTimeoutMs: query.connectTimeoutMs,
        caCerts: query.caCerts,
      });
      const timeout = query.requestTimeoutMs;
      const hint = query.dead === undefined
        ? Promise.resolve()
        : rpc.request("report_dead", { addr: query.dead }, timeout).catch(() => {});
      const reply = await rpc.request<{ addr: unknown; verified?: unknown }>(
        "get_tracker",
        { exclude: query.exclude },
        timeout,
      );
      await hint;
      if (typeof reply.addr === "string") {
        return { addr: reply.addr, verified: reply.verified === true };
      }
    } catch {
      // this balancer is down or knows no live tracker: try the next, then the list
    } finally {
      rpc?.close();
    }
  }
  return undefined;
}
