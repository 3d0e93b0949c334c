/**
 * The balancer's page as data: trackers with their health and hand-out
 * order, the replication links the live trackers report, and the timeline.
 * Pure: the state and the time come in as parameters.
 */
import type { DashboardView } from "../protocol/dashboard_view.ts";
import type { LinkStatus } from "../protocol/tracker_messages.ts";
import type { TrackerHealth } from "./health.ts";
import type { TimelineEntry } from "./balancer_activity.ts";

/** What the balancer's page is drawn from. */
export interface BalancerSnapshot {
  addr: string;
  trackers: TrackerHealth[];
  /** Each live tracker's links, from its last `status` answer. */
  links: ReadonlyMap<string, LinkStatus[]>;
  timeline: TimelineEntry[];
  maxMisses: number;
  nowMs: number;
}

/**
 * The order the balancer hands live trackers out in: least clients first,
 * then by address, as the heap pops them.
 * @returns address to position, 1 for the next one handed out
 */
export function handOutOrder(trackers: readonly TrackerHealth[]): Map<string, number> {
  const live = trackers.filter((t) => t.state === "live")
    .sort((a, b) => a.clients - b.clients || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return new Map(live.map((t, i) => [t.addr, i + 1]));
}

function ago(nowMs: number, atMs: number | null): string {
  if (atMs === null) return "never";
  return `${Math.max(0, Math.round((nowMs - atMs) / 100) / 10)} s ago`;
}

function clock(atMs: number): string {
  return new Date(atMs).toISOString().slice(11, 19);
}

/**
 * Builds the balancer's view.
 * @returns the page's content
 */
export function balancerView(snap: BalancerSnapshot): DashboardView {
  const order = handOutOrder(snap.trackers);
  const live = snap.trackers.filter((t) => t.state === "live").length;
  const linkRows = [...snap.links].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([from, links]) =>
    links.map((link) => [
      from,
      link.peer,
      { state: link.state },
      link.behind,
      { state: link.digest },
    ])
  );
  return {
    title: `balancer ${snap.addr}`,
    summary: `${live} of ${snap.trackers.length} trackers live; ` +
      `a tracker is out after ${snap.maxMisses} missed pings in a row`,
    sections: [
      {
        title: "Trackers",
        columns: ["address", "state", "clients", "missed pings", "hand-out order", "last answer"],
        rows: snap.trackers.map((t) => [
          t.addr,
          { state: t.state },
          // An out tracker's count is what it last reported, not what it holds now.
          t.state === "out" ? `${t.clients} at last report` : t.clients,
          t.misses,
          order.get(t.addr) ?? "-",
          ago(snap.nowMs, t.lastAnswerMs),
        ]),
        empty: "No tracker has registered yet",
      },
      {
        title: "Replication links",
        columns: ["from", "to", "state", "ops behind", "digest"],
        rows: linkRows,
        empty: "No live tracker reports a link",
      },
      {
        title: "Timeline",
        columns: ["time", "event", "what happened"],
        rows: snap.timeline.map((e) => [clock(e.atMs), { state: e.kind }, e.text]),
        empty: "Nothing yet",
      },
    ],
  };
}
