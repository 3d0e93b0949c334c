/**
 * How a tracker proves to a balancer that it belongs to the cluster, without
 * the cluster secret crossing the wire:
 * 1. tracker → `tracker_hello { addr, nonce: a }`; balancer → `{ nonce: b }`
 * 2. tracker → `register_tracker { addr, clients, balancer, proof }` with
 *    proof = HMAC(secret, "tracker-to-balancer|a|b|balancer|addr"), where
 *    `balancer` is the address the tracker's socket reached.
 * The balancer recomputes it with the address its own socket was reached on,
 * so a proof made for one connection (fresh nonces) through one hop (a relay
 * in between reaches the balancer on another address) is worth nothing on
 * any other, and the direction in the text keeps it from being reflected.
 */
import { createHmac } from "node:crypto";

/** What a tracker's registration proof binds together. */
export interface TrackerProofInput {
  trackerNonce: string;
  balancerNonce: string;
  /** The balancer's address as the tracker's connection reached it, ip:port. */
  balancerAddr: string;
  /** The tracker's advertised client address, host:port. */
  trackerAddr: string;
}

/**
 * A tracker's registration proof.
 * @param secret the cluster secret
 * @returns HMAC-SHA256 in lowercase hex
 */
export function trackerProof(secret: string, input: TrackerProofInput): string {
  const text = [
    "tracker-to-balancer",
    input.trackerNonce,
    input.balancerNonce,
    input.balancerAddr,
    input.trackerAddr,
  ].join("|");
  return createHmac("sha256", secret).update(text).digest("hex");
}

/**
 * Tells whether a host is this machine's loopback (127.0.0.0/8, ::1 or localhost).
 * @param hostname a host name or IP, without port or brackets
 * @returns true for a loopback host
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
