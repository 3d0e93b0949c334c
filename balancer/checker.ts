/**
 * The balancer's own health checks: it pings each tracker with the tracker's
 * `ping` command over a kept-open control connection, and feeds the result to
 * the pool. At most one check per tracker runs at a time, so a flood of
 * `report_dead` hints costs one ping, and only a real unanswered ping counts
 * as a miss.
 */
import { RpcClient } from "../protocol/rpc_client.ts";
import type { TrackerPool } from "./pool.ts";
import type { Transition } from "./health.ts";

/** Options of {@link HealthChecker}. */
export interface CheckerOptions {
  /** How long connect + ping may take. */
  pingTimeoutMs: number;
  /** Receives one line per transition. */
  log: (line: string) => void;
  /** A hint right after a check (within this long) is not acted on. */
  hintMinGapMs: number;
  /** Dial trackers with TLS, trusting these roots (PEM). @default plain TCP */
  caCerts?: string[] | undefined;
  /** The clock. @default Date.now */
  now?: () => number;
  /** Told each ping's result, for the dashboard and metrics. @default nothing */
  onResult?: (addr: string, result: CheckResult) => void;
}

/** One ping's outcome. */
export interface CheckResult {
  ok: boolean;
  /** Connect (when needed) plus round trip, in ms. */
  rttMs: number;
  transition: Transition;
}

/** Pings trackers and records the answers in a pool. */
export class HealthChecker {
  #pool: TrackerPool;
  #options: CheckerOptions;
  #clients = new Map<string, RpcClient>();
  #running = new Map<string, Promise<void>>();
  #lastCheckedMs = new Map<string, number>();
  #closed = false;

  /** @param pool where results go */
  constructor(pool: TrackerPool, options: CheckerOptions) {
    this.#pool = pool;
    this.#options = options;
  }

  /**
   * Pings one tracker now, or joins the ping already under way.
   * @returns a promise that settles once the result is recorded; never rejects
   */
  check(addr: string): Promise<void> {
    const running = this.#running.get(addr);
    if (running !== undefined) return running;
    if (this.#closed) return Promise.resolve();
    const startMs = this.#now();
    const done = this.#ping(addr).then((ok) => this.#record(addr, ok, startMs)).finally(() => {
      this.#running.delete(addr);
    });
    this.#running.set(addr, done);
    return done;
  }

  /**
   * Checks a tracker on a client's hint, unless one was checked a moment ago:
   * a fresh answer is as good as a new ping, and hints cannot flood a tracker.
   */
  hint(addr: string): void {
    const last = this.#lastCheckedMs.get(addr);
    if (last !== undefined && this.#now() - last < this.#options.hintMinGapMs) return;
    void this.check(addr);
  }

  /**
   * Asks a tracker for its `status` over the health connection, for the
   * dashboard's replication links; opens no connection of its own.
   * @returns the reply, or undefined when there is no connection or no answer
   */
  async status<T>(addr: string): Promise<T | undefined> {
    const client = this.#clients.get(addr);
    if (client === undefined || client.isClosed || this.#closed) return undefined;
    try {
      return await client.request<T>("status", {}, this.#options.pingTimeoutMs);
    } catch {
      return undefined;
    }
  }

  /** Drops the connection to a tracker the pool forgot. */
  drop(addr: string): void {
    this.#clients.get(addr)?.close();
    this.#clients.delete(addr);
    this.#lastCheckedMs.delete(addr);
  }

  /** Closes every connection and waits for running checks. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const client of this.#clients.values()) client.close();
    await Promise.all(this.#running.values());
    await Promise.all([...this.#clients.values()].map((client) => client.closed));
    this.#clients.clear();
  }

  async #ping(addr: string): Promise<boolean> {
    const timeoutMs = this.#options.pingTimeoutMs;
    let client = this.#clients.get(addr);
    try {
      if (client === undefined || client.isClosed) {
        client = await RpcClient.connect(addr, {
          connectTimeoutMs: timeoutMs,
          caCerts: this.#options.caCerts,
        });
        this.#clients.set(addr, client);
        if (this.#closed) client.close();
      }
      const reply = await client.request<{ pong?: unknown }>("ping", {}, timeoutMs);
      return reply?.pong === true;
    } catch {
      client?.close();
      if (client !== undefined) await client.closed;
      this.#clients.delete(addr);
      return false;
    }
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #record(addr: string, ok: boolean, startMs: number): void {
    if (this.#closed) return;
    const now = this.#now();
    this.#lastCheckedMs.set(addr, now);
    const transition = ok ? this.#pool.answered(addr, now) : this.#pool.missed(addr);
    this.#options.onResult?.(addr, { ok, rttMs: now - startMs, transition });
    if (transition === "up") this.#options.log(`tracker ${addr} is live`);
    if (transition === "back") this.#options.log(`tracker ${addr} is back`);
    if (transition === "out") this.#options.log(`tracker ${addr} is out: it missed its pings`);
  }
}
