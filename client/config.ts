/**
 * The client's settings: one defaults function, the flags and environment
 * variables that override it, and the parser that turns both into a config.
 * Pure: the caller passes the arguments and the environment, and reads the
 * tracker list file itself.
 */
import {
  type Env,
  flagHelp,
  type FlagSpec,
  parseFlags,
  UsageError,
} from "../protocol/cli_flags.ts";
import {
  defaultWorkerCount,
  MAX_DEFAULT_WORKERS,
  SEEDER_MAX_CONNECTIONS_PER_SOURCE,
} from "./transfer/mod.ts";
import { tlsFlagSpecs } from "../protocol/tls_flags.ts";
import { usageLine } from "../protocol/cli_program.ts";
import { parseHostPort } from "../protocol/conn_io.ts";

export { UsageError } from "../protocol/cli_flags.ts";
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
  /** Serve the dashboard and `/metrics` on this port of `host`; 0 picks one. @default undefined (none) */
  httpPort?: number | undefined;
  /** Web Workers per download. */
  workers: number;
  /** Upload limit of the seeder in bytes per second; 0 for none. */
  uploadBytesPerSec: number;
  /** Connections the seeder serves at once from one address. */
  seederMaxConnsPerAddress: number;
  /** A download waiting this long for peers fails; 0: it waits until cancelled. */
  giveUpAfterMs: number;
  /** Corrupt pieces that ban a peer from a download. */
  banAfterCorrupt: number;
  /** Print one JSON object per command result. */
  json: boolean;
  /** Serve and fetch pieces over TLS even when the seeder listens on loopback (always beyond it). */
  peerTls: boolean;
  /** PEM file of the cluster CA: trackers and balancers are dialed with TLS and must prove a certificate from it. */
  tlsCaFile: string | undefined;
  /** The CA certificates read from `tlsCaFile` (main reads the file). */
  tlsCaCerts: string[] | undefined;
  /** Allow plain TCP to trackers and balancers beyond loopback. */
  insecure: boolean;
}

/** The longest `--give-up-after`: a year. */
const MAX_GIVE_UP_MS = 365 * 24 * 60 * 60 * 1000;

/** Tracker used when nothing else is configured. */
export const DEFAULT_TRACKER = "127.0.0.1:7000";
/** Directory of the local registry. */
export const DEFAULT_DATA_DIR = ".data/client";
/** Seeder listen host. */
export const DEFAULT_HOST = "127.0.0.1";
/** Seeder listen port: 0 picks a free one. */
export const DEFAULT_PORT = 0;
/** Time between heartbeats to the tracker. */
export const HEARTBEAT_INTERVAL_MS = 1000;
/** A heartbeat unanswered this long means the tracker is gone. */
export const HEARTBEAT_TIMEOUT_MS = 2500;
/** How long connecting to one tracker or balancer may take. */
export const CONNECT_TIMEOUT_MS = 2000;
/** How long a command waits for its reply. */
export const REQUEST_TIMEOUT_MS = 15_000;
/** How long a command waits for a tracker when none is reachable. */
export const COMMAND_WAIT_MS = 8000;
/** First pause between reconnect rounds when no tracker answers. */
export const FIRST_RETRY_DELAY_MS = 100;
/** Longest pause between reconnect rounds. */
export const MAX_RETRY_DELAY_MS = 5000;
/** Shortest wait for the reply to a login made again after failover (scrypt is slow). */
export const RELOGIN_TIMEOUT_MS = 5000;
/** Most download workers `--workers` accepts. */
export const MAX_WORKERS = 64;
/** Longest timeout a flag accepts (one hour). */
export const MAX_FLAG_MS = 3_600_000;

/**
 * The defaults: work on one machine with no configuration.
 * @returns a fresh config
 */
export function defaultClientConfig(): ClientConfig {
  return {
    trackers: [],
    trackersFile: undefined,
    balancers: [],
    dataDir: DEFAULT_DATA_DIR,
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    workers: defaultWorkerCount(),
    uploadBytesPerSec: 0,
    seederMaxConnsPerAddress: SEEDER_MAX_CONNECTIONS_PER_SOURCE,
    giveUpAfterMs: 0,
    banAfterCorrupt: 3,
    json: false,
    peerTls: false,
    tlsCaFile: undefined,
    tlsCaCerts: undefined,
    insecure: false,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    commandWaitMs: COMMAND_WAIT_MS,
    firstRetryDelayMs: FIRST_RETRY_DELAY_MS,
    maxRetryDelayMs: MAX_RETRY_DELAY_MS,
    reloginTimeoutMs: RELOGIN_TIMEOUT_MS,
  };
}

/**
 * The configuration tests use: loopback, port 0, the test's own data
 * directory, two workers and short timeouts.
 * @param dataDir a temporary directory the test owns
 * @param overrides settings the test changes
 * @returns a fresh config
 */
export function testConfig(dataDir: string, overrides: Partial<ClientConfig> = {}): ClientConfig {
  return {
    ...defaultClientConfig(),
    dataDir,
    host: "127.0.0.1",
    port: 0,
    workers: 2,
    heartbeatIntervalMs: 200,
    heartbeatTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    requestTimeoutMs: 5000,
    commandWaitMs: 5000,
    maxRetryDelayMs: 500,
    ...overrides,
  };
}

/** The client's flags, for its parser, its `--help` and the README's table. */
export const CLIENT_FLAGS: readonly FlagSpec[] = [
  {
    name: "tracker",
    kind: "list",
    arg: "host:port",
    env: "CLIENT_TRACKERS",
    help: "a tracker; repeatable; the default only when no tracker, file or balancer is given",
    shownDefault: DEFAULT_TRACKER,
  },
  {
    name: "trackers",
    arg: "FILE",
    env: "CLIENT_TRACKERS_FILE",
    help: "read trackers from FILE, one host:port per line",
  },
  {
    name: "balancer",
    kind: "list",
    arg: "host:port",
    env: "CLIENT_BALANCERS",
    help: "a balancer; repeatable",
  },
  {
    name: "data-dir",
    arg: "DIR",
    env: "CLIENT_DATA_DIR",
    help: "local registry directory",
    shownDefault: DEFAULT_DATA_DIR,
  },
  {
    name: "host",
    arg: "HOST",
    env: "CLIENT_HOST",
    help: "seeder listen host",
    shownDefault: DEFAULT_HOST,
  },
  {
    name: "port",
    arg: "N",
    env: "CLIENT_PORT",
    help: "seeder listen port, 0 picks one",
    shownDefault: String(DEFAULT_PORT),
  },
  {
    name: "http-port",
    arg: "PORT",
    env: "CLIENT_HTTP_PORT",
    help: "serve the read-only dashboard and /metrics on this port of the same host, 0 picks one",
    shownDefault: "none: no dashboard",
  },
  {
    name: "workers",
    arg: "N",
    env: "CLIENT_WORKERS",
    help: "download workers",
    shownDefault: `one per core, at most ${MAX_DEFAULT_WORKERS}`,
  },
  {
    name: "upload-limit",
    arg: "RATE",
    env: "CLIENT_UPLOAD_LIMIT",
    help: "cap what the seeder sends, in bytes per second; K, M and G suffixes accepted, e.g. 2M",
    shownDefault: "0 (no cap)",
  },
  {
    name: "max-conns-per-address",
    arg: "N",
    env: "CLIENT_MAX_CONNS_PER_ADDRESS",
    help: "connections the seeder serves at once from one address (IPv4, or IPv6 /64)",
    shownDefault: String(SEEDER_MAX_CONNECTIONS_PER_SOURCE),
  },
  {
    name: "give-up-after",
    arg: "DURATION",
    env: "CLIENT_GIVE_UP_AFTER",
    help: "a download that waits this long for peers fails, e.g. 90s or 10m",
    shownDefault: "never",
  },
  {
    name: "ban-after",
    arg: "N",
    env: "CLIENT_BAN_AFTER",
    help: "corrupt pieces that ban a peer from a download",
    shownDefault: "3",
  },
  {
    name: "json",
    kind: "boolean",
    env: "CLIENT_JSON",
    help: "one JSON object per command result; the variable takes 1, true or yes",
    shownDefault: "off",
  },
  {
    name: "peer-tls",
    kind: "boolean",
    env: "CLIENT_PEER_TLS",
    help: "serve and fetch pieces over TLS even on loopback (always on beyond loopback)",
    shownDefault: "off on loopback",
  },
  {
    name: "heartbeat-interval",
    arg: "MS",
    env: "CLIENT_HEARTBEAT_INTERVAL_MS",
    help: "heartbeat period",
    shownDefault: String(HEARTBEAT_INTERVAL_MS),
  },
  {
    name: "heartbeat-timeout",
    arg: "MS",
    env: "CLIENT_HEARTBEAT_TIMEOUT_MS",
    help: "tracker presumed dead after",
    shownDefault: String(HEARTBEAT_TIMEOUT_MS),
  },
  {
    name: "connect-timeout",
    arg: "MS",
    env: "CLIENT_CONNECT_TIMEOUT_MS",
    help: "per-connection attempt",
    shownDefault: String(CONNECT_TIMEOUT_MS),
  },
  ...tlsFlagSpecs("CLIENT", false),
  { name: "help", short: "h", kind: "boolean", help: "show this help" },
  { name: "version", kind: "boolean", help: "print the version and the protocol versions" },
];

/** `--help` text. */
export const CLIENT_USAGE = `${usageLine("client", "[SEEDER_HOST:PORT [TRACKER_INFO_FILE]]")}

Interactive shell and seeder of the peer-to-peer file sharing network.
Reads commands from stdin (type "help" for the list); scripts may pipe them in.
The exit status is 1 when any command of a piped script failed.

Options (environment variable in brackets):
${flagHelp(CLIENT_FLAGS)}
`;

/**
 * Parses the client's flags over its environment over the defaults.
 * @param args command-line arguments
 * @param env environment variables
 * @returns the config, and whether help was asked for
 * @throws {UsageError} for an unknown flag or a bad value
 */
export function parseClientArgs(
  args: string[],
  env: Env,
): { config: ClientConfig; help: boolean; version: boolean } {
  const flags = parseFlags(args, env, CLIENT_FLAGS, { maxPositionals: 2 });
  const c = defaultClientConfig();
  c.trackers = flags.addrs("tracker");
  c.trackersFile = flags.string("trackers");
  c.balancers = flags.addrs("balancer");
  c.dataDir = flags.string("data-dir") ?? c.dataDir;
  c.host = flags.string("host") ?? c.host;
  c.port = flags.port("port") ?? c.port;
  const httpPort = flags.port("http-port");
  if (httpPort !== undefined) c.httpPort = httpPort;
  // The original form: `client IP:PORT tracker_info.txt`, the seeder's address then the list.
  const [seederAddr, infoFile] = flags.positionals;
  if (seederAddr !== undefined) {
    const { hostname, port } = parseHostPort(checkSeederAddr(seederAddr));
    if (flags.has("host") || flags.has("port")) {
      throw new UsageError(`give the seeder address "${seederAddr}" or --host/--port, not both`);
    }
    c.host = hostname;
    c.port = port;
  }
  if (infoFile !== undefined) {
    if (c.trackersFile !== undefined) {
      throw new UsageError(`give the tracker file "${infoFile}" or --trackers, not both`);
    }
    c.trackersFile = infoFile;
  }
  c.workers = flags.int("workers", 1, MAX_WORKERS) ?? c.workers;
  c.uploadBytesPerSec = parseRate("--upload-limit", flags.string("upload-limit"));
  c.seederMaxConnsPerAddress = flags.int("max-conns-per-address", 1, 1_000_000) ??
    c.seederMaxConnsPerAddress;
  c.giveUpAfterMs = flags.duration("give-up-after", MAX_GIVE_UP_MS) ?? c.giveUpAfterMs;
  c.banAfterCorrupt = flags.int("ban-after", 1, 1000) ?? c.banAfterCorrupt;
  c.json = flags.bool("json");
  c.peerTls = flags.bool("peer-tls");
  c.tlsCaFile = flags.string("tls-ca");
  c.insecure = flags.bool("insecure");
  c.heartbeatIntervalMs = flags.int("heartbeat-interval", 1, MAX_FLAG_MS) ?? c.heartbeatIntervalMs;
  c.heartbeatTimeoutMs = flags.int("heartbeat-timeout", 1, MAX_FLAG_MS) ?? c.heartbeatTimeoutMs;
  c.connectTimeoutMs = flags.int("connect-timeout", 1, MAX_FLAG_MS) ?? c.connectTimeoutMs;
  return { config: c, help: flags.bool("help"), version: flags.bool("version") };
}

function checkSeederAddr(text: string): string {
  try {
    parseHostPort(text);
  } catch {
    throw new UsageError(
      `"${text}" is not the seeder's address IP:PORT (the form is: client IP:PORT tracker_info.txt)`,
    );
  }
  return text;
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

/**
 * The trackers to try: flags first, then the file's, without repeats; the default when none.
 * @returns a non-empty list unless a balancer is configured
 */
export function trackerCandidates(config: ClientConfig, fromFile: string[]): string[] {
  const all = [...new Set([...config.trackers, ...fromFile])];
  if (all.length === 0 && config.balancers.length === 0) return [DEFAULT_TRACKER];
  return all;
}
