/**
 * What a tracker has been doing, for its dashboard and `/metrics`: requests,
 * errors and latency by command, and the last commands it answered. Only a
 * command's name, its outcome and its duration are kept, never its fields,
 * so no password, token or ticket can reach a page or a metric. Pure: time
 * is a parameter.
 */
import { MetricsRegistry } from "../protocol/prom_text.ts";
import { SESSION_WRITE_COMMANDS } from "../protocol/tracker_messages.ts";

/** Most recent commands kept. */
export const RECENT_COMMANDS = 50;

/** One answered command. */
export interface RecentCommand {
  atMs: number;
  cmd: string;
  /** "ok" or the error code. */
  outcome: string;
  durationMs: number;
}

/** Commands a tracker answers that change its state, whose latency includes the op-log commit. */
const WRITES: ReadonlySet<string> = new Set(["create_user", "login", ...SESSION_WRITE_COMMANDS]);

/** Peer and heartbeat commands: counted, but kept off the recent list, which they would flood. */
const QUIET = /^(ping|status|digest|prove|peer_|repl_|hello|ops|vv)/;

/** The tracker's counters and recent commands. */
export class TrackerActivity {
  readonly metrics: MetricsRegistry = new MetricsRegistry();
  #recent: RecentCommand[] = [];
  #counts = new Map<string, { ok: number; errors: number }>();

  constructor() {
    const m = this.metrics;
    m.declare("tracker_requests_total", "counter", "Requests answered, by command.");
    m.declare("tracker_request_errors_total", "counter", "Requests refused, by command and code.");
    m.declare("tracker_request_seconds", "histogram", "Time to answer a request, by command.");
    m.declare(
      "tracker_commit_seconds",
      "histogram",
      "Time to decide a write and commit its ops to the op log before the reply.",
    );
    m.declare("tracker_connections", "gauge", "Open control connections, by kind.");
    m.declare("tracker_ops", "gauge", "Ops held, by origin tracker (the version vector).");
    m.declare("tracker_replication_behind_ops", "gauge", "Ops a peer lacks, per link.");
    m.declare("tracker_replication_link_up", "gauge", "1 when a link is connected, per link.");
    m.declare("tracker_conflicting_ops", "gauge", "Ops refused as conflicting since start.");
    m.declare("tracker_resident_bytes", "gauge", "Resident memory.");
  }

  /** Records one answered (or refused) request. */
  answered(cmd: string, outcome: string, durationMs: number, nowMs: number): void {
    const m = this.metrics;
    m.inc("tracker_requests_total", { cmd });
    if (outcome !== "ok") m.inc("tracker_request_errors_total", { cmd, code: outcome });
    m.observe("tracker_request_seconds", { cmd }, durationMs / 1000);
    if (outcome === "ok" && WRITES.has(cmd)) {
      m.observe("tracker_commit_seconds", {}, durationMs / 1000);
    }
    const key = this.#counts.has(cmd) || this.#counts.size < 256 ? cmd : "other";
    const count = this.#counts.get(key) ?? { ok: 0, errors: 0 };
    if (outcome === "ok") count.ok++;
    else count.errors++;
    this.#counts.set(key, count);
    if (QUIET.test(cmd)) return;
    this.#recent.push({ atMs: nowMs, cmd, outcome, durationMs });
    if (this.#recent.length > RECENT_COMMANDS) this.#recent.shift();
  }

  /**
   * Requests answered and refused per command, by name.
   * @returns one entry per command seen
   */
  counts(): { cmd: string; ok: number; errors: number }[] {
    return [...this.#counts].map(([cmd, c]) => ({ cmd, ...c }))
      .sort((a, b) => (a.cmd < b.cmd ? -1 : 1));
  }

  /**
   * The recent commands, newest first.
   * @returns copies
   */
  recent(): RecentCommand[] {
    return this.#recent.slice().reverse();
  }
}
