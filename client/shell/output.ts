/**
 * Turns command results into text: one JSON object per result in `--json`
 * mode, and short sentences and aligned tables for people. Pure.
 */
import type { ErrorCode } from "../../protocol/errors.ts";
import type { FileInfo, GroupInfo } from "../../protocol/tracker_messages.ts";
import type { DownloadView } from "../local/download_manager.ts";
import { formatBytes, formatRate, renderProgressLine } from "./progress_bar.ts";

/** How results are shown. */
export interface RenderOptions {
  json: boolean;
  /** A terminal: running downloads get a progress bar. */
  tty: boolean;
}

/**
 * Renders a successful result.
 * @param cmd the command name (null for a line that named none)
 * @param data what the command returned
 * @returns the text to print (no trailing newline)
 */
export function renderOk(cmd: string, data: unknown, options: RenderOptions): string {
  if (options.json) return JSON.stringify({ ok: true, cmd, data: data ?? {} });
  return human(cmd, (data ?? {}) as Record<string, unknown>, options.tty);
}

/**
 * Renders a failed result.
 * @returns `error: <message>`, or the JSON error object
 */
export function renderError(
  cmd: string | null,
  code: ErrorCode,
  message: string,
  options: RenderOptions,
): string {
  if (options.json) return JSON.stringify({ ok: false, cmd, error: { code, message } });
  return `error: ${message}`;
}

/**
 * Lays rows out in columns under a header.
 * @returns the table's lines joined by newlines
 */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

type Data = Record<string, unknown>;
type Renderer = (d: Data, tty: boolean) => string;

const q = (v: unknown) => `"${String(v)}"`;

const RENDERERS: Record<string, Renderer> = {
  create_user: (d) => `User ${q(d["user"])} created; log in with: login ${d["user"]} <password>`,
  login: (d) => `Logged in as ${d["user"]}`,
  logout: () => "Logged out",
  create_group: (d) => `Group ${q(d["group"])} created; you own it`,
  join_group: (d) => `Asked to join ${q(d["group"])}; the owner has to accept`,
  leave_group: (d) =>
    `Left ${q(d["group"])}` +
    (d["removed"] ? "; it had no members left and was removed" : "") +
    (typeof d["newOwner"] === "string" ? `; ${d["newOwner"]} owns it now` : ""),
  list_groups: (d) => groups(d["groups"] as GroupInfo[]),
  list_requests: (d) => {
    const requests = d["requests"] as string[];
    if (requests.length === 0) return `No pending requests for ${q(d["group"])}`;
    return `Pending requests for ${q(d["group"])}:\n${requests.map((r) => `  ${r}`).join("\n")}`;
  },
  accept_request: (d) => `${d["user"]} is now a member of ${q(d["group"])}`,
  reject_request: (d) => `Rejected ${d["user"]}'s request to join ${q(d["group"])}`,
  upload_file: (d) =>
    `Sharing ${q(d["name"])} in ${q(d["group"])} (${formatBytes(Number(d["size"] ?? 0))}, ` +
    `${d["seeders"]} seeder${d["seeders"] === 1 ? "" : "s"})`,
  list_files: (d) => files(d["group"] as string, d["files"] as FileInfo[]),
  download_file: (d) =>
    `Downloading ${q(d["name"])} from ${q(d["group"])} to ${d["dest"]} ` +
    `(${formatBytes(Number(d["size"]))}); see show_downloads`,
  stop_share: (d) => `Stopped sharing ${q(d["name"])} in ${q(d["group"])}`,
  cancel_download: (d) => `Cancelled the download of ${q(d["name"])} from ${q(d["group"])}`,
  show_downloads: (d, tty) => downloads(d["downloads"] as DownloadView[], tty),
  wait: (d) => waited(d["downloads"] as DownloadView[]),
  help: (d) => help(d["commands"] as { usage: string; summary: string }[]),
  quit: () => "Bye",
};

function human(cmd: string, data: Data, tty: boolean): string {
  const render = RENDERERS[cmd];
  return render === undefined ? JSON.stringify(data) : render(data, tty);
}

function groups(list: GroupInfo[]): string {
  if (list.length === 0) return "No groups yet; create one with: create_group <group>";
  return table(
    ["GROUP", "OWNER", "MEMBERS", "YOU"],
    list.map((g) => [g.group, g.owner, String(g.members), g.role]),
  );
}

function files(group: string, list: FileInfo[]): string {
  if (list.length === 0) return `No files shared in ${q(group)}`;
  return table(
    ["NAME", "SIZE", "SEEDERS", "PARTIAL", "SHA-256"],
    list.map((f) => [
      f.name,
      formatBytes(f.size),
      String(f.seeders),
      String(f.partials ?? 0),
      f.fileHash.slice(0, 16),
    ]),
  );
}

function stateText(v: DownloadView): string {
  if (v.state === "running" && v.waiting) return "waiting for peers";
  return v.state === "failed" ? `failed: ${v.error ?? "unknown error"}` : v.state;
}

function downloads(list: DownloadView[], tty: boolean): string {
  if (list.length === 0) return "No downloads";
  const rows = table(
    ["GROUP", "NAME", "STATE", "DONE", "RATE", "PEERS"],
    list.map((v) => [
      v.group,
      v.name,
      stateText(v),
      `${v.percent}%`,
      v.state === "running" ? formatRate(v.rateBytesPerSec) : "-",
      v.peers.length === 0
        ? "-"
        : v.peers.map((p) => `${p.addr}${p.state === "active" ? "" : ` (${p.reason ?? p.state})`}`)
          .join(", "),
    ]),
  );
  if (!tty) return rows;
  const bars = liveProgressLines(list);
  return bars.length === 0 ? rows : `${rows}\n\n${bars.join("\n")}`;
}

/**
 * The progress bar of each running download, for a live view that is redrawn
 * while `wait` blocks in a terminal.
 * @returns one line per running download (none when nothing runs)
 */
export function liveProgressLines(list: DownloadView[]): string[] {
  return list.filter((v) => v.state === "running").map((v) =>
    `${v.name}  ${renderProgressLine(v)}`
  );
}

function waited(list: DownloadView[]): string {
  if (list.length === 0) return "No downloads were running";
  return list.map((v) =>
    v.state === "complete"
      ? `${v.group}/${v.name}: complete, ${formatBytes(v.size)} at ${v.dest}`
      : `${v.group}/${v.name}: ${stateText(v)}`
  ).join("\n");
}

function help(list: { usage: string; summary: string }[]): string {
  const width = Math.max(...list.map((c) => c.usage.length));
  return [
    'Commands (quote names with spaces: "my file.txt"):',
    ...list.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}
