/**
 * What the balancer has been doing, for its dashboard and `/metrics`: a
 * bounded timeline of notable events (trackers registering, going out and
 * coming back, clients handed out, failovers clients reported) and the
 * counters behind the metrics. Pure: time is a parameter. Only addresses and
 * command names are recorded, never a request's fields, so no secret or
 * proof can reach a page or a metric.
 */
import { MetricsRegistry } from "../protocol/prom_text.ts";
import type { Transition } from "./health.ts";

/** Most timeline entries kept; older ones fall off. */
export const TIMELINE_LENGTH = 100;

/** One timeline entry. */
export interface TimelineEntry {
  atMs: number;
  /** `registered`, `live`, `out`, `back`, `handed-out` or `failover`. */
  kind: string;
  text: string;
}

/** The balancer's timeline and counters. */
export class BalancerActivity {
  readonly metrics: MetricsRegistry = new MetricsRegistry();
  #timeline: TimelineEntry[] = [];
  #known = new Set<string>();

  constructor() {
    const m = this.metrics;
    m.declare("balancer_requests_total", "counter", "Requests answered, by command.");
    m.declare("balancer_request_errors_total", "counter", "Requests refused, by command and code.");
    m.declare("balancer_health_checks_total", "counter", "Health pings, by result.");
    m.declare("balancer_heartbeat_rtt_seconds", "histogram", "Round trip of answered pings.");
    m.declare("balancer_tracker_transitions_total", "counter", "Trackers going live, out, back.");
    m.declare("balancer_clients_handed_out_total", "counter", "Trackers handed to clients.");
    m.declare("balancer_failovers_reported_total", "counter", "Trackers clients reported dead.");
    m.declare("balancer_connections", "gauge", "Open control connections.");
    m.declare("balancer_trackers", "gauge", "Known trackers, by state.");
    m.declare("balancer_tracker_clients", "gauge", "Estimated clients per tracker.");
    m.declare("balancer_replication_behind_ops", "gauge", "Ops a link's peer lacks, per link.");
  }

  /** Records a request answered or refused (with its error code). */
  request(cmd: string, errorCode?: string): void {
    this.metrics.inc("balancer_requests_total", { cmd });
    if (errorCode !== undefined) {
      this.metrics.inc("balancer_request_errors_total", { cmd, code: errorCode });
    }
  }

  /** Records a registration; only a tracker's first one goes on the timeline. */
  registered(addr: string, nowMs: number): void {
    if (this.#known.has(addr)) return;
    this.#known.add(addr);
    this.#add(nowMs, "registered", `tracker ${addr} registered`);
  }

  /** Records a health ping's result and the transition it caused. */
  checked(
    addr: string,
    result: { ok: boolean; rttMs: number; transition: Transition },
    nowMs: number,
  ): void {
    const { ok, rttMs, transition } = result;
    this.metrics.inc("balancer_health_checks_total", { result: ok ? "answered" : "missed" });
    if (ok) this.metrics.observe("balancer_heartbeat_rtt_seconds", {}, rttMs / 1000);
    if (transition === "none") return;
    this.metrics.inc("balancer_tracker_transitions_total", { to: transition });
    const text = transition === "out"
      ? `tracker ${addr} is out: it missed its pings`
      : transition === "back"
      ? `tracker ${addr} is back`
      : `tracker ${addr} is live`;
    this.#add(nowMs, transition === "up" ? "live" : transition, text);
  }

  /** Records a tracker handed to a client. */
  handedOut(addr: string, nowMs: number): void {
    this.metrics.inc("balancer_clients_handed_out_total", {});
    this.#add(nowMs, "handed-out", `client handed tracker ${addr}`);
  }

  /** Records a client's report that a tracker stopped answering it. */
  failoverReported(addr: string, nowMs: number): void {
    this.metrics.inc("balancer_failovers_reported_total", {});
    this.#add(nowMs, "failover", `a client reported tracker ${addr} dead and asked for another`);
  }

  /** Forgets a tracker the pool dropped, so its return is a registration again. */
  forgot(addr: string): void {
    this.#known.delete(addr);
  }

  /**
   * The timeline, newest first.
   * @returns copies of the entries
   */
  timeline(): TimelineEntry[] {
    return this.#timeline.slice().reverse();
  }

  #add(atMs: number, kind: string, text: string): void {
    this.#timeline.push({ atMs, kind, text });
    if (this.#timeline.length > TIMELINE_LENGTH) this.#timeline.shift();
  }
}
