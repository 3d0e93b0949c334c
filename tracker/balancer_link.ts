/**
 * The tracker's side of the balancer protocol. For each balancer, one loop
 * connects, registers the tracker with its live client count, then reports
 * the count every interval. When the connection breaks (the balancer died or
 * restarted) the loop reconnects with a growing backoff and registers again,
 * so a restarted balancer learns every tracker within about one backoff step.
 * A balancer that is down costs the tracker nothing but a failed connect now
 * and then: the link never throws and never logs on its own.
 *
 * Each registration first proves the cluster secret (protocol/balancer_auth.ts):
 * `tracker_hello` trades nonces, and the proof binds them, the balancer's
 * address as this socket reached it and the tracker's own address. A tracker
 * without a secret registers unproven, which only a loopback balancer takes.
 */
import { RpcClient } from "../protocol/rpc_client.ts";
import { newNonce } from "../protocol/cluster_messages.ts";
import { trackerProof } from "../protocol/balancer_auth.ts";
import type { BalancerReplies } from "../protocol/balancer_messages.ts";
import { sleep } from "../protocol/sleep.ts";
import {
  BALANCER_CONNECT_TIMEOUT_MS,
  BALANCER_RECONNECT_INITIAL_MS,
  BALANCER_RECONNECT_MAX_MS,
  BALANCER_REPORT_INTERVAL_MS,
  BALANCER_REQUEST_TIMEOUT_MS,
} from "./config.ts";

/** Options of {@link startBalancerLink}. */
export interface BalancerLinkOptions {
  /** Balancer addresses, host:port. */
  balancers: string[];
  /** The tracker's own client-facing address, host:port, as clients should dial it. */
  trackerAddr: string;
  /** The cluster secret to prove; undefined registers unproven (loopback balancers only). */
  clusterSecret?: string | undefined;
  /** Returns the tracker's current live client count. */
  clientCount: () => number;
  /** Time between load reports. @default BALANCER_REPORT_INTERVAL_MS */
  reportIntervalMs?: number;
  /** Longest wait between reconnect attempts. @default BALANCER_RECONNECT_MAX_MS */
  maxBackoffMs?: number;
  /** Dial balancers with TLS, trusting these roots (PEM). @default plain TCP */
  caCerts?: string[] | undefined;
  /**
   * Told once when a balancer is reached and once when it is lost, and when one
   * refuses the registration (with its reason; told again only after a success).
   * @default nothing
   */
  onEvent?: (
    event: { balancer: string; state: "registered" | "lost" | "refused"; reason?: string },
  ) => void;
}

/** A running link; close it to stop reporting. */
export interface BalancerLink extends AsyncDisposable {
  /** Stops every loop and closes every connection; leaves no timer running. */
  close(): Promise<void>;
}

/** Wakes sleepers and closes connections when the link stops. */
class Stopper {
  stopped = false;
  #stopping = new AbortController();
  #clients = new Set<RpcClient>();

  sleep(ms: number): Promise<void> {
    return sleep(ms, this.#stopping.signal);
  }

  track(client: RpcClient): void {
    if (this.stopped) client.close();
    else this.#clients.add(client);
  }

  untrack(client: RpcClient): void {
    this.#clients.delete(client);
  }

  stop(): void {
    this.stopped = true;
    this.#stopping.abort();
    for (const client of this.#clients) client.close();
  }
}

/**
 * Registers a tracker with every balancer and keeps its load reported.
 * @param options balancers, the tracker's address and a live client counter
 * @returns a handle whose `close()` stops the link
 */
export function startBalancerLink(options: BalancerLinkOptions): BalancerLink {
  const stopper = new Stopper();
  const loops = options.balancers.map((balancer) => linkLoop(balancer, options, stopper));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopper.stop();
      await Promise.all(loops);
    })();
    return closing;
  };
  return { close, [Symbol.asyncDispose]: close };
}

function load(options: BalancerLinkOptions): { addr: string; clients: number } {
  let clients = 0;
  try {
    clients = Math.max(0, Math.floor(options.clientCount()));
  } catch {
    // a counter that fails reports an idle tracker rather than none
  }
  return { addr: options.trackerAddr, clients: Number.isFinite(clients) ? clients : 0 };
}

async function linkLoop(
  balancer: string,
  options: BalancerLinkOptions,
  stopper: Stopper,
): Promise<void> {
  const intervalMs = options.reportIntervalMs ?? BALANCER_REPORT_INTERVAL_MS;
  const maxBackoffMs = options.maxBackoffMs ?? BALANCER_RECONNECT_MAX_MS;
  let backoffMs = BALANCER_RECONNECT_INITIAL_MS;
  const refusals = { told: false };
  while (!stopper.stopped) {
    const registered = await session(balancer, options, stopper, intervalMs, refusals);
    if (registered) backoffMs = BALANCER_RECONNECT_INITIAL_MS;
    await stopper.sleep(backoffMs);
    backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
  }
}

/** One connection's life: register, then report until it breaks. Returns whether it registered. */
async function session(
  balancer: string,
  options: BalancerLinkOptions,
  stopper: Stopper,
  intervalMs: number,
  refusals: { told: boolean },
): Promise<boolean> {
  let client: RpcClient;
  try {
    client = await RpcClient.connect(balancer, {
      connectTimeoutMs: BALANCER_CONNECT_TIMEOUT_MS,
      caCerts: options.caCerts,
    });
  } catch {
    return false;
  }
  stopper.track(client);
  // Registration may wait for the balancer's first ping of this tracker: allow it time.
  const timeoutMs = Math.max(intervalMs * 2, BALANCER_REQUEST_TIMEOUT_MS);
  let registered = false;
  try {
    try {
      await register(client, options, timeoutMs);
    } catch (error) {
      if ((error as { code?: string }).code === "UNAUTHORIZED" && !refusals.told) {
        refusals.told = true;
        options.onEvent?.({ balancer, state: "refused", reason: (error as Error).message });
      }
      throw error;
    }
    refusals.told = false;
    registered = true;
    options.onEvent?.({ balancer, state: "registered" });
    while (!stopper.stopped && !client.isClosed) {
      await stopper.sleep(intervalMs);
      if (stopper.stopped) break;
      await client.request("report_load", load(options), timeoutMs);
    }
  } catch {
    // refused, timed out or closed: reconnect after a backoff
  } finally {
    client.close();
    await client.closed;
    stopper.untrack(client);
    if (registered && !stopper.stopped) options.onEvent?.({ balancer, state: "lost" });
  }
  return registered;
}

/** Proves the cluster secret (when the tracker has one) and registers, on one connection. */
async function register(
  client: RpcClient,
  options: BalancerLinkOptions,
  timeoutMs: number,
): Promise<void> {
  const addr = options.trackerAddr;
  const trackerNonce = newNonce();
  const hello = await client.request<BalancerReplies["tracker_hello"]>(
    "tracker_hello",
    { addr, nonce: trackerNonce },
    timeoutMs,
  );
  const secret = options.clusterSecret;
  const proof = secret === undefined || secret === "" ? {} : {
    balancer: client.remoteAddr,
    proof: trackerProof(secret, {
      trackerNonce,
      balancerNonce: String(hello.nonce),
      balancerAddr: client.remoteAddr,
      trackerAddr: addr,
    }),
  };
  await client.request("register_tracker", { ...load(options), ...proof }, timeoutMs);
}
