/**
 * Peer liveness: a client's seeds are handed out only while its lease runs.
 * The lease is an op (replicated like any other, last writer wins per user
 * and address) that ends at its stamp's time plus a ttl, so every tracker
 * holding the op expires it at the same moment of its own clock, with no
 * tracker-to-tracker heartbeat. A client renews it with `keep_alive`; the
 * tracker writes a new lease op only once half of the running one has gone,
 * which bounds the ops to one per client per half lease.
 */
import type { OpBody } from "./ops.ts";
import type { TrackerState } from "./state_types.ts";
import { peerKey } from "./peer_key.ts";
import type { Decision } from "./decide_common.ts";

/**
 * The lease op a live client needs now, if any.
 * @param nowMs the tracker's clock (0: the state's horizon)
 * @returns no body while more than half of the lease is left, else one renewing it
 */
export function renewLease(
  state: TrackerState,
  user: string,
  addr: string,
  options: { nowMs: number; ttlMs: number },
): OpBody[] {
  const lease = state.peerLeases.get(peerKey(user, addr));
  const now = Math.max(options.nowMs, state.horizonMs);
  if (lease !== undefined && lease.value - now > options.ttlMs / 2) return [];
  return [{ type: "peer_lease", user, addr, ttlMs: options.ttlMs }];
}

/**
 * Renews a client's lease, or ends it when the client is leaving.
 * @returns the lease op (maybe none) and the lease's length
 */
export function keepAlive(
  state: TrackerState,
  req: { addr: string; leaving?: true },
  user: string,
  options: { nowMs: number; ttlMs: number },
): Decision<"keep_alive"> {
  const data = { ttlMs: options.ttlMs };
  if (req.leaving) {
    const lease = state.peerLeases.get(peerKey(user, req.addr));
    if (lease === undefined || lease.value === 0) return { bodies: [], data };
    return { bodies: [{ type: "peer_lease", user, addr: req.addr, ttlMs: 0 }], data };
  }
  return { bodies: renewLease(state, user, req.addr, options), data };
}
