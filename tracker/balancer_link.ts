/**
 * The tracker's side of the balancer protocol. For each balancer, one loop
 * connects, registers the tracker with its live client count, then reports
 * the count every interval. When the connection breaks (the balancer died or
 * restarted) the loop reconnects with a growing backoff and registers again,
 * so a restarted balancer learns every tracker within about one backoff step.
 * A balancer that is down costs the tracker nothing but a failed connect now
 * and then: the link never throws and never logs on its own.
 */
import { RpcClient } from "../protocol/rpc_client.ts";

/** Options of {@link startBalancerLink}. */
export interface BalancerLinkOptions {
  /** Balancer addresses, host:port. */
  balancers: string[];
  /** The tracker's own client-facing address, host:port, as clients should dial it. */
  trackerAddr: string;
  /** Returns the tracker's current live client count. */
  clientCount: () => number;
  /** Time between load reports. @default 1000 */
  reportIntervalMs?: number;
  /** Longest wait between reconnect attempts. @default 5000 */
  maxBackoffMs?: number;
  /** Dial balancers with TLS, trusting these roots (PEM). @default plain TCP */
  caCerts?: string[] | undefined;
  /** Told once when a balancer is reached and once when it is lost. @default nothing */
  onEvent?: (event: { balancer: string; state: "registered" | "lost" }) => void;
}

/** A running link; close it to stop reporting. */
export interface BalancerLink extends AsyncDisposable {
  /** Stops every loop and closes every connection; leaves no timer running. */
  close(): Promise<void>;
}

const MIN_BACKOFF_MS = 100;
const CONNECT_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 5000;

/** Wakes sleepers and closes connections when the link stops. */
class Stopper {
  stopped = false;
  #wakers = new Set<() => void>();
  #clients = new Set<RpcClient>();

  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
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
    for (const wake of [...this.#wakers]) wake();
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
  const intervalMs = options.reportIntervalMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  let backoffMs = MIN_BACKOFF_MS;
  while (!stopper.stopped) {
    const registered = await session(balancer, options, stopper, intervalMs);
    if (registered) backoffMs = MIN_BACKOFF_MS;
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
): Promise<boolean> {
  let client: RpcClient;
  try {
    client = await RpcClient.connect(balancer, {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      caCerts: options.caCerts,
    });
  } catch {
    return false;
  }
  stopper.track(client);
  // Registration may wait for the balancer's first ping of this tracker: allow it time.
  const timeoutMs = Math.max(intervalMs * 2, REQUEST_TIMEOUT_MS);
  let registered = false;
  try {
    await client.request("register_tracker", load(options), timeoutMs);
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
