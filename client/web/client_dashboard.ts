/**
 * The client's HTTP side: its dashboard and `/metrics`, on the seeder's
 * host. What it shows comes from the download and share managers and the
 * seeder's counters; the session token, the tickets and passwords are in
 * none of them.
 */
import { type HttpPageHandle, startHttpPage } from "../../protocol/http_page.ts";
import { MetricsRegistry } from "../../protocol/prom_text.ts";
import { type ClientSnapshot, clientView } from "./client_view.ts";
import { PeerRates } from "./peer_rates.ts";

function declareMetrics(): MetricsRegistry {
  const m = new MetricsRegistry();
  m.declare("client_downloads", "gauge", "Downloads known, by state.");
  m.declare("client_downloaded_bytes", "gauge", "Bytes verified, over every known download.");
  m.declare("client_downloaded_pieces", "gauge", "Pieces verified, over every known download.");
  m.declare("client_download_peers", "gauge", "Peers of running downloads, by state.");
  m.declare(
    "client_hash_failures",
    "gauge",
    "Pieces that failed their hash check, over this run's downloads.",
  );
  m.declare("client_uploaded_bytes_total", "counter", "Bytes the seeder served.");
  m.declare("client_uploaded_pieces_total", "counter", "Pieces the seeder served.");
  m.declare("client_seeder_connections", "gauge", "Open seeder connections.");
  m.declare("client_shares", "gauge", "Files this client shares.");
  m.declare("client_heartbeats_total", "counter", "Heartbeats to the tracker, by outcome.");
  m.declare(
    "client_heartbeat_rtt_seconds_sum",
    "counter",
    "Round-trip time of the answered heartbeats, summed (divide by the answered count).",
  );
  m.declare("client_heartbeat_rtt_seconds", "gauge", "Round-trip time of the last heartbeat.");
  m.declare("client_failovers_total", "counter", "Moves to another tracker after losing one.");
  return m;
}

function renderMetrics(m: MetricsRegistry, snap: ClientSnapshot): string {
  for (const name of ["client_downloads", "client_download_peers"]) m.reset(name);
  for (const state of ["running", "complete", "failed"]) {
    m.set("client_downloads", { state }, snap.downloads.filter((d) => d.state === state).length);
  }
  const sum = (f: (d: ClientSnapshot["downloads"][number]) => number) =>
    snap.downloads.reduce((total, d) => total + f(d), 0);
  m.set("client_downloaded_bytes", {}, sum((d) => d.bytesDone));
  m.set("client_downloaded_pieces", {}, sum((d) => d.piecesDone));
  const running = snap.downloads.filter((d) => d.state === "running");
  for (const state of ["active", "banned", "unreachable", "left"]) {
    m.set(
      "client_download_peers",
      { state },
      running.reduce((n, d) => n + d.peers.filter((p) => p.state === state).length, 0),
    );
  }
  const failures = [...snap.pieceMaps.values()].reduce((n, map) => n + map.hashFailures, 0);
  m.set("client_hash_failures", {}, failures);
  m.reset("client_uploaded_bytes_total");
  m.reset("client_uploaded_pieces_total");
  m.inc("client_uploaded_bytes_total", {}, snap.seeder.bytesServed);
  m.inc("client_uploaded_pieces_total", {}, snap.seeder.piecesServed);
  m.set("client_seeder_connections", {}, snap.seeder.connections);
  m.set("client_shares", {}, snap.shares.length);
  const { session } = snap;
  for (const name of ["client_heartbeats_total", "client_heartbeat_rtt_seconds_sum"]) m.reset(name);
  m.reset("client_failovers_total");
  m.inc("client_heartbeats_total", { outcome: "answered" }, session.answered);
  m.inc("client_heartbeats_total", { outcome: "missed" }, session.missed);
  m.inc("client_heartbeat_rtt_seconds_sum", {}, session.rttMsSum / 1000);
  m.set("client_heartbeat_rtt_seconds", {}, session.lastRttMs / 1000);
  m.inc("client_failovers_total", {}, session.failovers);
  return m.render();
}

/**
 * Starts the client's dashboard.
 * @param snapshot reads the client's state now
 * @returns the running page
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export function startClientDashboard(
  options: { host: string; port: number },
  snapshot: () => ClientSnapshot,
): HttpPageHandle {
  const rates = new PeerRates();
  const metrics = declareMetrics();
  return startHttpPage({
    host: options.host,
    port: options.port,
    view: () => {
      const now = Date.now();
      rates.prune(now);
      return clientView(
        snapshot(),
        (id, addr, bytes) => rates.sample(`${id} ${addr}`, bytes, now),
      );
    },
    metrics: () => renderMetrics(metrics, snapshot()),
  });
}
