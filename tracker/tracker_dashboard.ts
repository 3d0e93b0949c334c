/**
 * The tracker's HTTP side: its dashboard (cluster links, version vector,
 * connections, command counts and the last commands) and `/metrics`, on the
 * tracker's host. Shows user names and addresses, never a token, password,
 * ticket or the cluster secret: none of them is in what it is given.
 */
import type { DashboardView } from "../protocol/dashboard_view.ts";
import { type HttpPageHandle, startHttpPage } from "../protocol/http_page.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import type { TrackerActivity } from "./tracker_activity.ts";

/** One open control connection as the page shows it. */
export interface ConnectionRow {
  remote: string;
  kind: "client" | "peer" | "other";
  /** The logged-in user, once a session command succeeded on it. */
  user: string | undefined;
  requests: number;
  sinceMs: number;
}

/** What the tracker's page is drawn from. */
export interface TrackerSnapshot {
  status: TrackerReplies["status"];
  connections: ConnectionRow[];
  activity: TrackerActivity;
  nowMs: number;
}

function clock(atMs: number): string {
  return new Date(atMs).toISOString().slice(11, 19);
}

/**
 * Builds the tracker's view.
 * @returns the page's content
 */
export function trackerView(snap: TrackerSnapshot): DashboardView {
  const { status, connections, activity } = snap;
  const vv = Object.entries(status.versionVector);
  const ops = vv.reduce((sum, [, n]) => sum + Number(n), 0);
  const clients = connections.filter((c) => c.kind === "client").length;
  return {
    title: `tracker ${status.id} ${status.addr}`,
    summary: `${ops} ops held; ${clients} client connections; ` +
      `${status.links.filter((l) => l.state === "connected").length} of ${status.links.length} ` +
      `cluster links up; ${status.conflicts.count} conflicting ops refused`,
    sections: [
      {
        title: "Cluster links",
        columns: ["peer", "state", "ops behind", "digest", "paused origins"],
        rows: status.links.map((l) => [
          l.peer,
          { state: l.state },
          l.behind,
          { state: l.digest },
          l.paused.join(", "),
        ]),
        empty: "No cluster links",
      },
      {
        title: "Version vector",
        columns: ["origin tracker", "ops"],
        rows: vv.map(([origin, n]) => [origin, Number(n)]),
        empty: "No ops yet",
      },
      {
        title: "Connections",
        columns: ["remote", "kind", "user", "requests", "since"],
        rows: connections.map((c) => [
          c.remote,
          c.kind,
          c.user ?? "-",
          c.requests,
          clock(c.sinceMs),
        ]),
        empty: "No connections",
      },
      {
        title: "Commands",
        columns: ["command", "answered", "refused"],
        rows: activity.counts().map((c) => [c.cmd, c.ok, c.errors]),
        empty: "No commands yet",
      },
      {
        title: "Recent commands",
        columns: ["time", "command", "outcome", "ms"],
        rows: activity.recent().map((r) => [clock(r.atMs), r.cmd, r.outcome, r.durationMs]),
        empty: "No commands yet",
      },
    ],
  };
}

/** Sets the gauges from the snapshot and renders every metric. */
function renderMetrics(snap: TrackerSnapshot): string {
  const m = snap.activity.metrics;
  for (const name of ["tracker_connections", "tracker_ops", "tracker_replication_behind_ops"]) {
    m.reset(name);
  }
  m.reset("tracker_replication_link_up");
  for (const kind of ["client", "peer", "other"]) {
    m.set("tracker_connections", { kind }, snap.connections.filter((c) => c.kind === kind).length);
  }
  for (const [origin, n] of Object.entries(snap.status.versionVector)) {
    m.set("tracker_ops", { origin }, Number(n));
  }
  for (const link of snap.status.links) {
    m.set("tracker_replication_behind_ops", { peer: link.peer }, link.behind);
    m.set("tracker_replication_link_up", { peer: link.peer }, link.state === "connected" ? 1 : 0);
  }
  m.set("tracker_conflicting_ops", {}, snap.status.conflicts.count);
  m.set("tracker_resident_bytes", {}, snap.status.memory.rssBytes);
  return m.render();
}

/**
 * Starts the tracker's dashboard.
 * @param snapshot reads the tracker's state now
 * @returns the running page
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export function startTrackerDashboard(
  options: { host: string; port: number },
  snapshot: () => TrackerSnapshot,
): HttpPageHandle {
  return startHttpPage({
    host: options.host,
    port: options.port,
    view: () => trackerView(snapshot()),
    metrics: () => renderMetrics(snapshot()),
  });
}
