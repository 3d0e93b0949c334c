/**
 * Whether the client may send a tracker its password or token. Once the
 * client has pinned the cluster key (at its first login), every tracker must
 * first sign a fresh nonce and its own address with that key, and the address
 * must be the one dialed: so neither a rogue tracker a balancer handed out
 * nor a relay in front of a genuine tracker ever gets credentials. Before the
 * first login there is no key to check against, so only a tracker from the
 * client's own configuration, or one from a balancer that proved its trackers
 * know the cluster secret, is trusted.
 */
import { AppError } from "../../protocol/errors.ts";
import { newNonce } from "../../protocol/cluster_messages.ts";
import type { RpcClient } from "../../protocol/rpc_client.ts";
import { verifyTrackerProof } from "../../protocol/tracker_proof.ts";
import type { Suggestion } from "./balancer_query.ts";

/** How a candidate tracker is to be trusted. */
export type TrustRule =
  | { kind: "prove"; key: string }
  | { kind: "trusted" }
  | { kind: "untrusted"; why: string };

/** What the client knows when it picks a tracker. */
export interface TrustInputs {
  /** The cluster key pinned at the first login, if any. */
  pinnedKey: string | undefined;
  /** The trackers of the client's own configuration. */
  configured: readonly string[];
  /** The balancer's suggestion this round, if any. */
  suggestion: Suggestion | undefined;
}

/**
 * Decides how a candidate is to be trusted. Pure.
 * @returns the rule for `addr`
 */
export function trustRule(addr: string, inputs: TrustInputs): TrustRule {
  if (inputs.pinnedKey !== undefined) return { kind: "prove", key: inputs.pinnedKey };
  if (inputs.configured.includes(addr)) return { kind: "trusted" };
  if (inputs.suggestion?.addr === addr && inputs.suggestion.verified) return { kind: "trusted" };
  return {
    kind: "untrusted",
    why: "it is not in this client's configuration and its balancer does not verify trackers",
  };
}

/**
 * Asks a tracker to prove it belongs to the cluster, before anything secret is sent.
 * @param dialed the address the client dialed
 * @returns true when it signed the fresh nonce and the dialed address with `key`
 * @throws {AppError} when the connection is lost or the tracker does not answer in time
 */
export async function proveTracker(
  rpc: RpcClient,
  dialed: string,
  key: string,
  timeoutMs: number,
): Promise<boolean> {
  const nonce = newNonce();
  let reply: unknown;
  try {
    reply = await rpc.request("prove", { nonce }, timeoutMs);
  } catch (error) {
    if (!(error instanceof AppError) || rpc.isClosed || error.code === "TIMEOUT") throw error;
    return false; // it answered, but not with a proof
  }
  return verifyTrackerProof(key, nonce, [dialed, rpc.remoteAddr], reply);
}
