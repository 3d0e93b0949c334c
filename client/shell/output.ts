/**
 * Turns command results into text: one JSON object per result in `--json`
 * mode, and short sentences and aligned tables for people. Pure.
 */
import type { ErrorCode } from "../../protocol/errors.ts";
import type { FileInfo, GroupInfo } from "../../protocol/tracker_messages.ts";
import type { DownloadView } from "../local/download_manager.ts";
import { formatBytes } from "./progress_bar.ts";
import {
  DEFAULT_COLUMNS,
  downloadDetail,
  downloadsTable,
  liveProgressLines,
  waitedSummary,
} from "./downloads_view.ts";

export { liveProgressLines } from "./downloads_view.ts";

/** How results are shown. */
export interface RenderOptions {
  json: boolean;
  /** A terminal: running downloads get a progress bar. */
  tty: boolean;
  /** The terminal's width; tables and bars fit in it. @default DEFAULT_COLUMNS */
  columns?: number;
}

/**
 * Renders a successful result.
 * @param cmd the command name (null for a line that named none)
 * @param data what the command returned
 * @returns the text to print (no trailing newline)
 */
export function renderOk(cmd: string, data: unknown, options: RenderOptions): string {
  if (options.json) return JSON.stringify({ ok: true, cmd, data: data ?? {} });
  return human(cmd, (data ?? {}) as Record<string, unknown>, options);
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
type Renderer = (d: Data, options: RenderOptions) => string;

const q = (v: unknown) => `"${String(v)}"`;

const RENDERERS: Record<string, Renderer> = {
  create_user: (d) => `User ${q(d["user"])} created; log in with: login ${d["user"]} <password>`,
  login: (d) =>
    (typeof d["previousUser"] === "string" ? `Logged out ${d["previousUser"]}; ` : "") +
    `Logged in as ${d["user"]}` + (typeof d["tracker"] === "string" ? ` at ${d["tracker"]}` : ""),
  whoami: (d) =>
    typeof d["user"] === "string"
      ? `${d["user"]} at ${d["tracker"] ?? "no tracker yet (reconnecting)"}`
      : `Not logged in; tracker ${d["tracker"] ?? "none reachable yet"}`,
  retry_download: (d) =>
    `Retrying download ${d["id"]}: ${q(d["name"])} to ${d["dest"]}; see show_downloads`,
  clear_downloads: (d) =>
    d["cleared"] === 0
      ? "No finished downloads to clear"
      : `Cleared ${d["cleared"]} download${d["cleared"] === 1 ? "" : "s"}`,
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
    `Download ${d["id"]}: ${q(d["name"])} from ${q(d["group"])} to ${d["dest"]} ` +
    `(${formatBytes(Number(d["size"]))}); see show_downloads`,
  stop_share: (d) => `Stopped sharing ${q(d["name"])} in ${q(d["group"])}`,
  cancel_download: (d) => `Cancelled the download of ${q(d["name"])} from ${q(d["group"])}`,
  show_downloads: (d, o) => downloads(d["downloads"] as DownloadView[], d["detail"] === true, o),
  wait: (d) => waitedSummary(d["downloads"] as DownloadView[]),
  help: (d) => help(d["commands"] as { usage: string; summary: string; login: boolean }[]),
  quit: () => "Bye",
};

function human(cmd: string, data: Data, options: RenderOptions): string {
  const render = RENDERERS[cmd];
  return render === undefined ? JSON.stringify(data) : render(data, options);
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

function downloads(list: DownloadView[], detail: boolean, options: RenderOptions): string {
  if (detail && list[0] !== undefined) return downloadDetail(list[0]);
  // A pipe has no width: scripts get every name whole.
  const columns = options.columns ?? (options.tty ? DEFAULT_COLUMNS : Infinity);
  const rows = downloadsTable(list, columns);
  if (!options.tty) return rows;
  const bars = liveProgressLines(list, columns);
  return bars.length === 0 ? rows : `${rows}\n\n${bars.join("\n")}`;
}

function help(list: { usage: string; summary: string; login: boolean }[]): string {
  const [only] = list;
  if (list.length === 1 && only !== undefined) {
    return `usage: ${only.usage}\n  ${only.summary}${only.login ? " (needs a login)" : ""}`;
  }
  const width = Math.max(...list.map((c) => c.usage.length));
  return [
    'Commands (quote names with spaces: "my file.txt"):',
    ...list.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}
