/**
 * The client's page as data: its downloads live (progress, rate, ETA, a
 * piece map of where each piece came from, throughput per peer) and its
 * shares. Pure: the state comes in as a snapshot, and per-peer rates from
 * the caller's {@link PeerRates}.
 */
import type { DashboardView, ViewSection } from "../../protocol/dashboard_view.ts";
import type { DownloadView } from "../local/download_manager.ts";
import type { PieceMap } from "../transfer/mod.ts";

/** A file this client shares, as the page lists it. */
export interface ShareRow {
  group: string;
  name: string;
  size: number;
  pieces: number;
}

/** What the client's page is drawn from. */
export interface ClientSnapshot {
  user: string | undefined;
  trackerAddr: string | undefined;
  seederAddr: string;
  downloads: DownloadView[];
  /** Piece maps of the downloads, by download id: the running ones and those seen running. */
  pieceMaps: ReadonlyMap<number, PieceMap>;
  shares: ShareRow[];
  seeder: { connections: number; piecesServed: number; bytesServed: number };
  /** The tracker session's heartbeats and failovers since start. */
  session: {
    answered: number;
    missed: number;
    rttMsSum: number;
    lastRttMs: number;
    failovers: number;
  };
}

/**
 * Formats a byte count for people.
 * @returns e.g. `12.5 MiB`
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The time left at the current rate.
 * @returns e.g. `42 s`, `3 min`, or `-` when it cannot be told
 */
export function formatEta(bytesLeft: number, rateBytesPerSec: number): string {
  if (bytesLeft <= 0) return "0 s";
  if (rateBytesPerSec <= 0) return "-";
  const secs = Math.ceil(bytesLeft / rateBytesPerSec);
  return secs < 120
    ? `${secs} s`
    : secs < 7200
    ? `${Math.round(secs / 60)} min`
    : `${Math.round(secs / 3600)} h`;
}

/**
 * Builds the client's view.
 * @param peerRate throughput of one download's peer now, in bytes per second
 * @returns the page's content
 */
export function clientView(
  snap: ClientSnapshot,
  peerRate: (downloadId: number, addr: string, bytes: number) => number,
): DashboardView {
  const running = snap.downloads.filter((d) => d.state === "running").length;
  const downloads: ViewSection = {
    title: "Downloads",
    columns: ["file", "group", "state", "progress", "done", "rate", "ETA", "peers"],
    rows: snap.downloads.map((d) => [
      d.name,
      d.group,
      { state: d.state === "running" ? "downloading" : d.state },
      `${d.percent}% (${d.piecesDone}/${d.pieces} pieces)`,
      `${formatBytes(d.bytesDone)} of ${formatBytes(d.size)}`,
      d.state === "running" ? `${formatBytes(d.rateBytesPerSec)}/s` : "-",
      d.state === "running" ? formatEta(d.size - d.bytesDone, d.rateBytesPerSec) : "-",
      d.peers.filter((p) => p.state === "active").length,
    ]),
    empty: "No downloads",
  };
  const maps: ViewSection = {
    title: "Piece maps",
    columns: ["file", "pieces (which peer each came from)", "hash failures"],
    rows: snap.downloads.flatMap((d) => {
      const map = snap.pieceMaps.get(d.id);
      return map === undefined ? [] : [[
        d.name,
        { pieces: map.pieces, peers: map.peers },
        map
          .hashFailures,
      ]];
    }),
    empty: "No downloads",
  };
  const peers: ViewSection = {
    title: "Peers",
    columns: ["file", "peer", "state", "received", "throughput"],
    rows: snap.downloads.filter((d) => d.state === "running").flatMap((d) =>
      d.peers.map((p) => [
        d.name,
        p.addr,
        { state: p.state === "active" ? "connected" : "dropped" },
        formatBytes(p.bytes),
        `${formatBytes(Math.round(peerRate(d.id, p.addr, p.bytes)))}/s`,
      ])
    ),
    empty: "No download running",
  };
  const shares: ViewSection = {
    title: "Shares",
    columns: ["file", "group", "size", "pieces"],
    rows: snap.shares.map((s) => [s.name, s.group, formatBytes(s.size), s.pieces]),
    empty: "Not sharing anything",
  };
  return {
    title: `client ${snap.user ?? "(not logged in)"} ${snap.seederAddr}`,
    summary: `tracker ${snap.trackerAddr ?? "none yet"}; ${running} downloads running; ` +
      `seeder served ${snap.seeder.piecesServed} pieces (${
        formatBytes(snap.seeder.bytesServed)
      }) over ${snap.seeder.connections} open connections`,
    sections: [downloads, maps, peers, shares],
  };
}
