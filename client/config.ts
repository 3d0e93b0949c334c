/**
 * The client's settings: one defaults function, the flags and environment
 * variables that override it, and the parser that turns both into a config.
 * Pure: the caller passes the arguments and the environment, and reads the
 * tracker list file itself.
 */
import { parseArgs } from "node:util";
import { parseHostPort } from "../protocol/conn_io.ts";
import { defaultWorkerCount } from "./transfer/mod.ts";
import type { SessionTimings } from "./session/tracker_session.ts";

/** Everything the client can be told. */
export interface ClientConfig extends SessionTimings {
  /** Trackers to use, host:port, in order of preference. */
  trackers: string[];
  /** A tracker_info.txt file to read more trackers from (one host:port per line). */
  trackersFile: string | undefined;
  /** Directory of the local registry. */
  dataDir: string;
  /** Seeder listen host. */
  host: string;
  /** Seeder listen port; 0 picks a free one. */
  port: number;
  /** Web Workers per download. */
  workers: number;
  /** Upload limit of the seeder in bytes per second; 0 for none. */
  uploadBytesPerSec: number;
  /** Print one JSON object per command result. */
  json: boolean;
  /** PEM file of the cluster CA: trackers and balancers are dialed with TLS and must prove a certificate from it. */
  tlsCaFile: string | undefined;
  /** The CA certificates read from `tlsCaFile` (main reads the file). */
  tlsCaCerts: string[] | undefined;
  /** Allow plain TCP to trackers and balancers beyond loopback. */
  insecure: boolean;
}

/** Tracker used when nothing else is configured. */
export const DEFAULT_TRACKER = "127.0.0.1:7000";

/**
 * The defaults: work on one machine with no configuration.
 * @returns a fresh config
 */
export function defaultClientConfig(): ClientConfig {
  return {
    trackers: [],
    trackersFile: undefined,
    balancers: [],
    dataDir: ".data/client",
    host: "127.0.0.1",
    port: 0,
    workers: defaultWorkerCount(),
    uploadBytesPerSec: 0,
    json: false,
    tlsCaFile: undefined,
    tlsCaCerts: undefined,
    insecure: false,
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 2500,
    connectTimeoutMs: 2000,
    requestTimeoutMs: 15_000,
    commandWaitMs: 8000,
    maxRetryDelayMs: 5000,
  };
}

/** `--help` text. */
export const CLIENT_USAGE = `Usage: deno task client [flags]

Interactive shell and seeder of the peer-to-peer file sharing network.
Reads commands from stdin (type "help" for the list); scripts may pipe them in.

Flags (environment variable in brackets):
  --tracker host:port          a tracker; repeatable [CLIENT_TRACKERS, comma-separated]
                               (default ${DEFAULT_TRACKER} when no tracker, file or balancer is given)
  --trackers FILE              read trackers from FILE, one host:port per line [CLIENT_TRACKERS_FILE]
  --balancer host:port         a balancer; repeatable [CLIENT_BALANCERS, comma-separated]
  --data-dir DIR               local registry directory (default .data/client) [CLIENT_DATA_DIR]
  --host HOST                  seeder listen host (default 127.0.0.1) [CLIENT_HOST]
  --port N                     seeder listen port, 0 picks one (default 0) [CLIENT_PORT]
  --workers N                  download workers (default: one per core, at most 8) [CLIENT_WORKERS]
  --upload-limit RATE          cap what the seeder sends, in bytes per second; K, M and G
                               suffixes accepted, e.g. 2M (default 0: no cap) [CLIENT_UPLOAD_LIMIT]
  --json                       one JSON object per command result [CLIENT_JSON=1]
  --heartbeat-interval MS      heartbeat period (default 1000) [CLIENT_HEARTBEAT_INTERVAL_MS]
  --heartbeat-timeout MS       tracker presumed dead after (default 2500) [CLIENT_HEARTBEAT_TIMEOUT_MS]
  --connect-timeout MS         per-connection attempt (default 2000) [CLIENT_CONNECT_TIMEOUT_MS]
  --tls-ca FILE                dial trackers and balancers with TLS, trusting only this CA (PEM)
                               [CLIENT_TLS_CA]
  --insecure                   allow plain TCP to trackers and balancers beyond loopback (clear
                               text; warns) [CLIENT_INSECURE=1]
  -h, --help                   show this help
`;

/** Raised for a bad flag; main prints it and exits with status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

type Env = Record<string, string | undefined>;

/**
 * Parses the client's flags over its environment over the defaults.
 * @param args command-line arguments
 * @param env environment variables
 * @returns the config, and whether help was asked for
 * @throws {UsageError} for an unknown flag or a bad value
 */
export function parseClientArgs(args: string[], env: Env): { config: ClientConfig; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        tracker: { type: "string", multiple: true },
        trackers: { type: "string" },
        balancer: { type: "string", multiple: true },
        "data-dir": { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        workers: { type: "string" },
        "upload-limit": { type: "string" },
        json: { type: "boolean" },
        "tls-ca": { type: "string" },
        insecure: { type: "boolean" },
        "heartbeat-interval": { type: "string" },
        "heartbeat-timeout": { type: "string" },
        "connect-timeout": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
  const c = defaultClientConfig();
  const list = (text: string | undefined) =>
    text === undefined ? [] : text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  c.trackers = addrs("--tracker", values.tracker ?? list(env["CLIENT_TRACKERS"]));
  c.trackersFile = values.trackers ?? env["CLIENT_TRACKERS_FILE"];
  c.balancers = addrs("--balancer", values.balancer ?? list(env["CLIENT_BALANCERS"]));
  c.dataDir = values["data-dir"] ?? env["CLIENT_DATA_DIR"] ?? c.dataDir;
  c.host = values.host ?? env["CLIENT_HOST"] ?? c.host;
  c.port = int("--port", values.port ?? env["CLIENT_PORT"], c.port, 0, 65535);
  c.workers = int("--workers", values.workers ?? env["CLIENT_WORKERS"], c.workers, 1, 64);
  c.uploadBytesPerSec = parseRate(
    "--upload-limit",
    values["upload-limit"] ?? env["CLIENT_UPLOAD_LIMIT"],
  );
  c.json = values.json ?? /^(1|true|yes)$/i.test(env["CLIENT_JSON"] ?? "");
  c.tlsCaFile = values["tls-ca"] ?? env["CLIENT_TLS_CA"];
  c.insecure = values.insecure ?? /^(1|true|yes)$/i.test(env["CLIENT_INSECURE"] ?? "");
  const ms = (flag: string, envName: string, fallback: number) =>
    int(
      flag,
      values[flag.slice(2) as "heartbeat-interval"] ?? env[envName],
      fallback,
      1,
      3_600_000,
    );
  c.heartbeatIntervalMs = ms("--heartbeat-interval", "CLIENT_HEARTBEAT_INTERVAL_MS", 1000);
  c.heartbeatTimeoutMs = ms("--heartbeat-timeout", "CLIENT_HEARTBEAT_TIMEOUT_MS", 2500);
  c.connectTimeoutMs = ms("--connect-timeout", "CLIENT_CONNECT_TIMEOUT_MS", 2000);
  return { config: c, help: values.help ?? false };
}

const RATE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a rate such as `500000`, `512K` or `2M` (bytes per second, binary units).
 * @returns bytes per second; 0 when `text` is undefined
 * @throws {UsageError} for anything else
 */
export function parseRate(flag: string, text: string | undefined): number {
  if (text === undefined) return 0;
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i.exec(text.trim());
  if (match === null) {
    throw new UsageError(`${flag}: "${text}" must be bytes per second, e.g. 500000, 512K or 2M`);
  }
  return Math.round(Number(match[1]) * RATE_UNITS[match[2]!.toLowerCase()]!);
}

function addrs(flag: string, texts: string[]): string[] {
  for (const text of texts) {
    try {
      parseHostPort(text);
    } catch {
      throw new UsageError(`${flag}: "${text}" is not an address host:port`);
    }
  }
  return texts;
}

function int(flag: string, text: string | undefined, fallback: number, min: number, max: number) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`${flag}: "${text}" must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Parses a tracker list file: one host:port per line; blank lines and `#` comments skipped.
 * @param text the file's contents
 * @returns the addresses in order
 * @throws {UsageError} naming the first bad line
 */
export function parseTrackerList(text: string): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    try {
      parseHostPort(line);
    } catch {
      throw new UsageError(`line ${i + 1}: "${line}" is not an address host:port`);
    }
    out.push(line);
  });
  return out;
}

/**
 * The trackers to try: flags first, then the file's, without repeats; the default when none.
 * @returns a non-empty list unless a balancer is configured
 */
export function trackerCandidates(config: ClientConfig, fromFile: string[]): string[] {
  const all = [...new Set([...config.trackers, ...fromFile])];
  if (all.length === 0 && config.balancers.length === 0) return [DEFAULT_TRACKER];
  return all;
}
