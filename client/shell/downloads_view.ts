/**
 * How downloads read for people: the `show_downloads` table (one row each,
 * with its id, destination, peer count and a short error, fitted to the
 * terminal's width), the full view of one download, the live progress lines
 * `wait` redraws, and the `wait` summary. Pure.
 */
import type { DownloadView } from "../local/download_manager.ts";
import { elideMiddle, fitWidths } from "./fit_width.ts";
import { formatBytes, formatEta, formatRate, percentOf, renderBar } from "./progress_bar.ts";

/** A failed row's error is cut to this many characters; `show_downloads <id>` shows it all. */
export const SHORT_ERROR_CHARS = 40;
/** Width assumed when not writing to a terminal. */
export const DEFAULT_COLUMNS = 100;

/**
 * A duration for people: `850ms`, `12s`, `3m05s`, `2h04m`.
 * @returns the text
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const secs = Math.floor(ms / 1000);
  if (secs < 60) return `${secs}s`;
  const mins = Math.floor(secs / 60);
  if (mins < 60) return `${mins}m${String(secs % 60).padStart(2, "0")}s`;
  return `${Math.floor(mins / 60)}h${String(mins % 60).padStart(2, "0")}m`;
}

function shortState(v: DownloadView): string {
  if (v.state === "running" && v.waiting) return "waiting for peers";
  if (v.state !== "failed") return v.state;
  // An error's start says what went wrong; its end is for `show_downloads <id>`.
  const error = v.error ?? "unknown error";
  return `failed: ${
    error.length <= SHORT_ERROR_CHARS ? error : `${error.slice(0, SHORT_ERROR_CHARS - 1)}…`
  }`;
}

function rateText(v: DownloadView): string {
  if (v.state === "running") return formatRate(v.rateBytesPerSec);
  if (v.state === "complete" && v.averageBytesPerSec !== null) {
    return `${formatRate(v.averageBytesPerSec)} avg`;
  }
  return "-";
}

/**
 * The `show_downloads` table, each line at most `columns` wide where the
 * name, destination and state can give way.
 * @returns the lines joined
 */
export function downloadsTable(list: DownloadView[], columns = DEFAULT_COLUMNS): string {
  if (list.length === 0) return "No downloads";
  const header = ["ID", "NAME", "DEST", "STATE", "DONE", "RATE", "PEERS", "TIME"];
  const rows = list.map((v) => [
    String(v.id),
    `${v.group}/${v.name}`,
    v.dest,
    shortState(v),
    `${v.percent}%`,
    rateText(v),
    v.state === "running" ? String(v.activePeers) : "-",
    formatDuration(v.elapsedMs),
  ]);
  const natural = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const widths = fitWidths(natural, [1, 2, 3], columns);
  const line = (cells: string[]) =>
    cells.map((c, i) => {
      const w = widths[i]!;
      // Names keep both ends; a state keeps its start ("failed: …").
      const cell = i === 3 ? (c.length <= w ? c : `${c.slice(0, w - 1)}…`) : elideMiddle(c, w);
      return i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
    }).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * Everything about one download: where it goes, its figures, each peer and
 * what it is doing, and its whole error.
 * @returns the lines joined
 */
export function downloadDetail(v: DownloadView): string {
  const lines = [
    `download ${v.id}: ${v.group}/${v.name}`,
    `  destination  ${v.dest}`,
    `  state        ${v.state === "running" && v.waiting ? "waiting for peers" : v.state}`,
    `  progress     ${v.percent}%, ${formatBytes(v.bytesDone)} of ${formatBytes(v.size)}, ` +
    `${v.piecesDone}/${v.pieces} pieces` +
    (v.piecesResumed > 0 ? ` (${v.piecesResumed} found on disk)` : ""),
    `  rate         ${rateText(v)}`,
    `  time         ${formatDuration(v.elapsedMs)}`,
  ];
  if (v.error !== null) lines.push(`  error        ${v.error}`);
  if (v.peers.length === 0) lines.push("  peers        none yet");
  for (const p of v.peers) {
    const why = p.state === "active" ? p.state : (p.reason ?? p.state);
    lines.push(`  peer         ${p.addr}  ${why}, ${formatBytes(p.bytes)} received`);
  }
  return lines.join("\n");
}

/** The forms of a progress line, widest first: a narrow terminal gets a later one. */
function progressForms(v: DownloadView): string[] {
  const fraction = v.size === 0 ? 1 : v.bytesDone / v.size;
  const percent = `${String(percentOf(v.bytesDone, v.size)).padStart(3)}%`;
  const sizes = `${formatBytes(v.bytesDone)}/${formatBytes(v.size)}`;
  const rate = formatRate(v.rateBytesPerSec);
  const eta = `ETA ${formatEta(v.size - v.bytesDone, v.rateBytesPerSec)}`;
  return [
    [renderBar(fraction, 24), percent, sizes, rate, eta],
    [renderBar(fraction, 12), percent, sizes, rate, eta],
    [renderBar(fraction, 12), percent, rate, eta],
    [renderBar(fraction, 6), percent, rate],
    [percent, rate],
    [percent],
  ].map((parts) => parts.join("  "));
}

/** Shortest a name gets before the line drops figures instead. */
const MIN_NAME_CHARS = 16;

/**
 * The progress line of each running download, narrower than `columns`, for
 * the live view `wait` redraws in place: figures give way first, then the
 * name loses its middle.
 * @returns one line per running download (none when nothing runs)
 */
export function liveProgressLines(list: DownloadView[], columns = DEFAULT_COLUMNS): string[] {
  // One column short of the width: a line that fills the last column wraps on some terminals.
  const room = Math.max(8, columns - 1);
  return list.filter((v) => v.state === "running").map((v) => {
    const name = `${v.id} ${v.name}`;
    const want = Math.min(name.length, MIN_NAME_CHARS);
    const forms = progressForms(v);
    const figures = forms.find((f) => f.length + 2 + want <= room) ?? forms[forms.length - 1]!;
    const line = `${elideMiddle(name, Math.max(1, room - 2 - figures.length))}  ${figures}`;
    return line.length <= room ? line : line.slice(0, room);
  });
}

/**
 * What `wait` reports: each download it waited for, as it ended.
 * @returns the lines joined
 */
export function waitedSummary(list: DownloadView[]): string {
  if (list.length === 0) return "No downloads were running";
  return list.map((v) => {
    const what = `${v.id} ${v.group}/${v.name}`;
    if (v.state === "complete") {
      return `${what}: complete, ${formatBytes(v.size)} at ${v.dest} in ` +
        `${formatDuration(v.elapsedMs)} (${rateText(v)})`;
    }
    if (v.state === "failed") {
      return `${what}: failed: ${v.error ?? "unknown error"}; retry with: retry_download ${v.id}`;
    }
    return `${what}: ${v.state}`;
  }).join("\n");
}
