/** A download as `show_downloads` and the dashboard report it, from its record and progress. */
import type { DownloadProgress } from "../transfer/mod.ts";
import type { DownloadRecord, DownloadState } from "./registry.ts";

/** A download as `show_downloads` reports it. */
export interface DownloadView {
  id: number;
  group: string;
  name: string;
  dest: string;
  state: DownloadState;
  error: string | null;
  size: number;
  bytesDone: number;
  piecesDone: number;
  pieces: number;
  percent: number;
  /** Running, but no peer has a piece it needs: it goes on when one appears. */
  waiting: boolean;
  /** Pieces found already verified on disk when the download (re)started. */
  piecesResumed: number;
  rateBytesPerSec: number;
  peers: DownloadProgress["peers"];
  /** Peers it is fetching from right now. */
  activePeers: number;
  /** Time since it started, or from start to end once finished. */
  elapsedMs: number;
  /** Size over elapsed time once complete; null otherwise. */
  averageBytesPerSec: number | null;
}

/**
 * What to show of a download.
 * @param live its progress, when it runs or ended in this process
 * @param running whether it runs now (a running record that does not is waiting for peers)
 * @returns the view
 */
export function downloadView(
  record: DownloadRecord,
  live: DownloadProgress | undefined,
  running: boolean,
): DownloadView {
  const m = record.manifest;
  const done = record.state === "complete";
  const bytesDone = live?.bytesDone ?? (done ? m.size : 0);
  const piecesDone = live?.piecesDone ?? (done ? m.pieceHashes.length : 0);
  const elapsedMs = Math.max(0, (record.finishedMs ?? Date.now()) - record.startedMs);
  const peers = live?.peers ?? [];
  return {
    id: record.id,
    group: record.group,
    name: record.name,
    dest: record.dest,
    state: record.state,
    error: record.error,
    size: m.size,
    bytesDone,
    piecesDone,
    pieces: m.pieceHashes.length,
    percent: m.size === 0 ? (done ? 100 : 0) : Math.floor((bytesDone / m.size) * 100),
    piecesResumed: live?.piecesResumed ?? 0,
    rateBytesPerSec: live?.rateBytesPerSec ?? 0,
    peers,
    activePeers: record.state === "running" ? peers.filter((p) => p.state === "active").length : 0,
    waiting: record.state === "running" && (live?.waiting ?? !running),
    elapsedMs,
    averageBytesPerSec: done && elapsedMs > 0 ? Math.round(m.size / (elapsedMs / 1000)) : null,
  };
}
