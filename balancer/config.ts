/**
 * Every setting, timeout and limit of the balancer, with its unit in its
 * name, the one function that gives their defaults, the configuration tests
 * use, and the flags `main.ts` reads them from.
 */
import type { FlagSpec } from "../protocol/cli_flags.ts";

/** Default interface to listen on. */
export const DEFAULT_HOST = "127.0.0.1";
/** Default port. */
export const DEFAULT_PORT = 7100;
/** Time between health pings of each tracker. */
export const PING_INTERVAL_MS = 1000;
/** How long a ping (connect included) may take before it counts as missed. */
export const PING_TIMEOUT_MS = 1000;
/** Pings missed in a row before a tracker is out. */
export const MAX_MISSES = 3;
/** A `report_dead` this soon after a tracker's last check does not ping it again. */
export const HINT_MIN_GAP_MS = 250;
/** Most trackers the balancer keeps. */
export const MAX_TRACKERS = 1024;
/** An out tracker silent this long is forgotten. */
export const FORGET_AFTER_MS = 10 * 60_000;
/** Control connections served at once; more are told so and closed. */
export const MAX_CONNECTIONS = 4096;
/** Control connections served at once from one address (IPv4, or IPv6 /64). */
export const MAX_CONNECTIONS_PER_SOURCE = 256;
/**
 * A connection silent this long (3 heartbeat intervals) is closed: trackers
 * report their load every interval; clients ask once and hang up.
 */
export const IDLE_TIMEOUT_MS = IDLE_HEARTBEATS * HEARTBEAT_INTERVAL_MS;
/** A connection that has sent no valid request this long after it opened is closed. */
export { FIRST_MESSAGE_TIMEOUT_MS };
/** Longest request line. */
export const MAX_LINE_BYTES = 64 * 1024;
import type { TlsIdentity } from "../protocol/tls.ts";
import { tlsFlagSpecs } from "../protocol/tls_flags.ts";
import {
  FIRST_MESSAGE_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  IDLE_HEARTBEATS,
} from "../protocol/conn_watch.ts";
import { logFlagSpecs } from "../protocol/event_log.ts";

/** The balancer's settings. */
export interface BalancerConfig {
  /** Interface to listen on. @default DEFAULT_HOST */
  host: string;
  /** Port to listen on; 0 picks a free one. @default DEFAULT_PORT */
  port: number;
  /** Serve the dashboard and `/metrics` on this port of `host`; 0 picks one. @default undefined (none) */
  httpPort?: number | undefined;
  /** Time between health pings of each tracker. @default PING_INTERVAL_MS */
  pingIntervalMs: number;
  /** How long a ping (connect included) may take before it counts as missed. @default PING_TIMEOUT_MS */
  pingTimeoutMs: number;
  /** Pings missed in a row before a tracker is out. @default MAX_MISSES */
  maxMisses: number;
  /** A `report_dead` this soon after the tracker's last check does not ping it again. @default HINT_MIN_GAP_MS */
  hintMinGapMs: number;
  /** Most trackers the balancer keeps. @default MAX_TRACKERS */
  maxTrackers: number;
  /** An out tracker silent this long is forgotten. @default FORGET_AFTER_MS */
  forgetAfterMs: number;
  /** Most control connections served at once. @default MAX_CONNECTIONS */
  maxConnections: number;
  /** Control connections served at once from one address. @default MAX_CONNECTIONS_PER_SOURCE */
  maxConnectionsPerSource: number;
  /** A connection silent this long is closed. @default IDLE_TIMEOUT_MS */
  idleTimeoutMs: number;
  /** A connection with no valid request this long after it opened is closed. @default FIRST_MESSAGE_TIMEOUT_MS */
  firstMessageTimeoutMs: number;
  /** Longest request line. @default MAX_LINE_BYTES */
  maxLineBytes: number;
  /** The cluster secret trackers must prove; undefined admits loopback trackers only. @default undefined */
  clusterSecret?: string | undefined;
  /** Serve TLS with this certificate and key. @default undefined (plain TCP) */
  tls?: TlsIdentity | undefined;
  /** Ping trackers over TLS, trusting these roots (PEM). @default undefined (plain TCP) */
  tlsCaCerts?: string[] | undefined;
  /** Receives one line per notable event (tracker out, back). @default nothing */
  log?: (line: string) => void;
}

/**
 * The defaults: a balancer on 127.0.0.1:7100 that takes a tracker out after
 * three pings missed one second apart.
 * @returns a fresh config
 */
export function defaultBalancerConfig(): BalancerConfig {
  return {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    pingIntervalMs: PING_INTERVAL_MS,
    pingTimeoutMs: PING_TIMEOUT_MS,
    maxMisses: MAX_MISSES,
    hintMinGapMs: HINT_MIN_GAP_MS,
    maxTrackers: MAX_TRACKERS,
    forgetAfterMs: FORGET_AFTER_MS,
    maxConnections: MAX_CONNECTIONS,
    maxConnectionsPerSource: MAX_CONNECTIONS_PER_SOURCE,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    firstMessageTimeoutMs: FIRST_MESSAGE_TIMEOUT_MS,
    maxLineBytes: MAX_LINE_BYTES,
  };
}

/**
 * The configuration tests use: loopback, port 0, quick pings.
 * @param overrides settings the test changes
 * @returns a fresh config
 */
export function testConfig(overrides: Partial<BalancerConfig> = {}): BalancerConfig {
  return {
    ...defaultBalancerConfig(),
    host: "127.0.0.1",
    port: 0,
    pingIntervalMs: 40,
    pingTimeoutMs: 150,
    ...overrides,
  };
}

/** The balancer's flags, for its parser, its `--help` and the README's table. */
export const BALANCER_FLAGS: readonly FlagSpec[] = [
  {
    name: "host",
    arg: "HOST",
    env: "BALANCER_HOST",
    help: "interface to listen on",
    shownDefault: DEFAULT_HOST,
  },
  {
    name: "port",
    arg: "PORT",
    env: "BALANCER_PORT",
    help: "port to listen on, 0 picks a free one",
    shownDefault: String(DEFAULT_PORT),
  },
  {
    name: "http-port",
    arg: "PORT",
    env: "BALANCER_HTTP_PORT",
    help: "serve the read-only dashboard and /metrics on this port of the same host, 0 picks one",
    shownDefault: "none: no dashboard",
  },
  {
    name: "ping-interval",
    arg: "MS",
    env: "BALANCER_PING_INTERVAL_MS",
    help: "time between health pings",
    shownDefault: String(PING_INTERVAL_MS),
  },
  {
    name: "ping-timeout",
    arg: "MS",
    env: "BALANCER_PING_TIMEOUT_MS",
    help: "time a ping may take",
    shownDefault: String(PING_TIMEOUT_MS),
  },
  {
    name: "max-misses",
    arg: "N",
    env: "BALANCER_MAX_MISSES",
    help: "missed pings in a row before a tracker is out",
    shownDefault: String(MAX_MISSES),
  },
  {
    name: "max-conns-per-address",
    arg: "N",
    env: "BALANCER_MAX_CONNS_PER_ADDRESS",
    help: "connections served at once from one address (IPv4, or IPv6 /64)",
    shownDefault: String(MAX_CONNECTIONS_PER_SOURCE),
  },
  {
    name: "idle-timeout",
    arg: "MS",
    env: "BALANCER_IDLE_TIMEOUT_MS",
    help: "close a connection silent this long; keep it over 3x the trackers' report interval",
    shownDefault: String(IDLE_TIMEOUT_MS),
  },
  {
    name: "cluster-secret-file",
    arg: "PATH",
    env: "BALANCER_CLUSTER_SECRET_FILE",
    help: "file holding the cluster secret trackers must prove",
    shownDefault: "none: loopback trackers only",
  },
  {
    name: "cluster-secret",
    arg: "TEXT",
    env: "BALANCER_CLUSTER_SECRET",
    help: "the secret itself (visible to other users in the process list)",
    shownDefault: "none: loopback trackers only",
  },
  ...tlsFlagSpecs("BALANCER", true),
  ...logFlagSpecs("BALANCER"),
  { name: "help", short: "h", kind: "boolean", help: "show this help" },
  { name: "version", kind: "boolean", help: "print the version and the protocol versions" },
];
