/**
 * The balancer's HTTP side: its dashboard page, event stream and metrics,
 * on the balancer's host. Replication links are not the balancer's own
 * knowledge, so it asks each live tracker for its `status` over the health
 * connection it already keeps, once per refresh period.
 */
import { type HttpPageHandle, startHttpPage } from "../protocol/http_page.ts";
import type { LinkStatus, TrackerReplies } from "../protocol/tracker_messages.ts";
import type { BalancerActivity } from "./balancer_activity.ts";
import type { HealthChecker } from "./checker.ts";
import type { TrackerPool } from "./pool.ts";
import { balancerView } from "./balancer_view.ts";

/** Time between `status` questions to each live tracker. */
export const LINK_POLL_MS = 1000;

/** What the dashboard reads. */
export interface BalancerDashboardOptions {
  host: string;
  port: number;
  /** The balancer's control address, for the heading. */
  addr: string;
  /** Open control connections now. */
  connections: () => number;
  maxMisses: number;
  pool: TrackerPool;
  checker: HealthChecker;
  activity: BalancerActivity;
}

/**
 * Starts the balancer's dashboard.
 * @returns the running page
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export function startBalancerDashboard(options: BalancerDashboardOptions): HttpPageHandle {
  const { pool, checker, activity } = options;
  const links = new Map<string, LinkStatus[]>();
  const snapshot = () => {
    const trackers = pool.health();
    // A tracker that is not live has no fresh word on its links.
    const live = new Set(trackers.filter((t) => t.state === "live").map((t) => t.addr));
    return {
      addr: options.addr,
      trackers,
      links: new Map([...links].filter(([addr]) => live.has(addr))),
      timeline: activity.timeline(),
      maxMisses: options.maxMisses,
      nowMs: Date.now(),
    };
  };
  const page = startHttpPage({
    host: options.host,
    port: options.port,
    view: () => balancerView(snapshot()),
    metrics: () => renderMetrics(snapshot()),
  });
  let polling = false;
  const timer = setInterval(async () => {
    if (polling) return;
    polling = true;
    try {
      const trackers = pool.health();
      const liveAddrs = new Set(trackers.filter((t) => t.state === "live").map((t) => t.addr));
      for (const addr of links.keys()) if (!liveAddrs.has(addr)) links.delete(addr);
      await Promise.all([...liveAddrs].map(async (addr) => {
        const status = await checker.status<TrackerReplies["status"]>(addr);
        if (status !== undefined && Array.isArray(status.links)) links.set(addr, status.links);
      }));
    } finally {
      polling = false;
    }
  }, LINK_POLL_MS);

  function renderMetrics(snap: ReturnType<typeof snapshot>): string {
    const m = activity.metrics;
    for (const name of ["balancer_trackers", "balancer_tracker_clients"]) m.reset(name);
    m.reset("balancer_replication_behind_ops");
    for (const state of ["new", "live", "out"]) {
      m.set("balancer_trackers", { state }, snap.trackers.filter((t) => t.state === state).length);
    }
    for (const t of snap.trackers) {
      m.set("balancer_tracker_clients", { tracker: t.addr }, t.clients);
    }
    for (const [from, list] of snap.links) {
      for (const link of list) {
        m.set("balancer_replication_behind_ops", { from, to: link.peer }, link.behind);
      }
    }
    m.set("balancer_connections", {}, options.connections());
    return m.render();
  }

  const close = async () => {
    clearInterval(timer);
    await page.close();
  };
  return { ...page, close, [Symbol.asyncDispose]: close };
}
