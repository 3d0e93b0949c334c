/**
 * Every setting, timeout and limit of the tracker, with its unit in its name,
 * and the one function that gives their defaults.
 */
import { MAX_LINE_BYTES } from "../protocol/framing.ts";
import type { FlagSpec } from "../protocol/cli_flags.ts";
import type { TlsIdentity } from "../protocol/tls.ts";
import { tlsFlagSpecs } from "../protocol/tls_flags.ts";
import {
  FIRST_MESSAGE_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  IDLE_HEARTBEATS,
} from "../protocol/conn_watch.ts";
import { logFlagSpecs } from "../protocol/event_log.ts";

/** Default interface to listen on. */
export const DEFAULT_HOST = "127.0.0.1";
/** Default control port. */
export const DEFAULT_PORT = 7000;
/** Default tracker id (the origin of its ops). */
export const DEFAULT_ID = 1;
/** Largest tracker id. */
export const MAX_ID = 99_999;
/** Ops applied between two snapshots of the state. */
export const SNAPSHOT_EVERY_OPS = 5000;
/** Most ops a due snapshot waits for while the tracker catches up on ops a peer holds. */
export const SNAPSHOT_DEFER_MAX_OPS = 250_000;
/** Most ops of one origin kept behind the snapshot for a peer that lacks them; further behind, it gets the snapshot. */
export const LOG_KEEP_OPS = 200_000;
/** First wait before redialing a peer tracker. */
export const RECONNECT_INITIAL_MS = 100;
/** Longest wait between redials of a peer tracker. */
export const RECONNECT_MAX_MS = 2000;
/** Most ops in one `peer_ops` batch. */
export const REPLICATION_BATCH_OPS = 1000;
/** Rough byte budget of one `peer_ops` batch (a single larger op still goes alone). */
export const REPLICATION_BATCH_BYTES = 1024 * 1024;
/** How long a peer has to acknowledge a batch. */
export const PEER_REQUEST_TIMEOUT_MS = 30_000;
/** Ops read from the log at once while replaying it at start. */
export const REPLAY_PAGE_OPS = 5000;
/** Replies to commands sent with a retry id that a tracker remembers: a retry comes within seconds. */
export const REMEMBERED_RETRIES = 10_000;
/** How long dialing a peer tracker may take. */
export const PEER_CONNECT_TIMEOUT_MS = 2000;
/** Time between load reports to a balancer. */
export const BALANCER_REPORT_INTERVAL_MS = 1000;
/** First wait before redialing a balancer. */
export const BALANCER_RECONNECT_INITIAL_MS = 100;
/** Longest wait between redials of a balancer. */
export const BALANCER_RECONNECT_MAX_MS = 5000;
/** How long dialing a balancer may take. */
export const BALANCER_CONNECT_TIMEOUT_MS = 2000;
/** Shortest wait for a balancer's reply (twice the report interval when that is longer). */
export const BALANCER_REQUEST_TIMEOUT_MS = 5000;
/** Least time between two state-digest comparisons on one link. */
export const DIGEST_CHECK_INTERVAL_MS = 2000;
/** An op stamped further ahead of this tracker's clock waits until the clock catches up. */
export const MAX_CLOCK_SKEW_MS = 60_000;
/** The largest `--max-clock-skew` accepted: a year, in seconds. */
export const MAX_CLOCK_SKEW_FLAG_SECS = 365 * 24 * 3600;
/** Longest control line, as every program's: a manifest (at most about 1.1 MiB) fits with room. */
export const TRACKER_MAX_LINE_BYTES = MAX_LINE_BYTES;
/** Most seeders one download reply lists, so that the reply stays far below the line limit. */
export const MAX_OFFERED_PEERS = 200;
/** Control connections served at once; more are told so and closed (`--max-connections`). */
export const MAX_CONNECTIONS = 20_000;
/** The largest `--max-connections` accepted. */
export const MAX_CONNECTIONS_FLAG = 1_000_000;
/** Control connections served at once from one address (IPv4, or IPv6 /64): no one address takes every slot. */
export const MAX_CONNECTIONS_PER_SOURCE = 256;
/** A connection silent for 3 heartbeat intervals is closed (clients, balancers and links ping). */
export const IDLE_TIMEOUT_MS = IDLE_HEARTBEATS * HEARTBEAT_INTERVAL_MS;
/** A connection that has sent no valid request this long after it opened is closed. */
export { FIRST_MESSAGE_TIMEOUT_MS };
/** How often a cluster link with nothing to send says so, to stay open. */
export const LINK_KEEPALIVE_MS = HEARTBEAT_INTERVAL_MS;
/** Time between tries to write again after the op log could not commit (a full disk). */
export const WRITE_RETRY_MS = 1000;
/** Bytes a write-retry probe commits to check that the disk has room again. */
export const WRITE_PROBE_BYTES = 64 * 1024;
/** Bytes of unfinished request lines held across all connections at once. */
export const MAX_BUFFERED_BYTES = 256 * 1024 * 1024;
/** scrypt cost parameter N (2^14: about 16 MiB and tens of ms per hash). */
export const SCRYPT_COST = 16384;
/** scrypt key length in bytes. */
export const SCRYPT_KEY_BYTES = 32;
/** Most password hashes computed at once (each takes about 16 MiB while it runs). */
export const SCRYPT_CONCURRENCY = 4;
/** Salt length in bytes. */
export const SALT_BYTES = 16;
/** Session token length in bytes (hex on the wire). */
export const TOKEN_BYTES = 32;
/** How long a session lasts after its login (30 days). */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** A client's liveness after its last lease op; renewed in an op once half of it has run. */
export const PEER_LEASE_MS = 10_000;
/** Shortest `--peer-lease`: less could lapse between a live client's renewals (every 2.5 s). */
export const MIN_PEER_LEASE_MS = 8_000;
/** The longest `--peer-lease`: an hour. */
export const MAX_PEER_LEASE_MS = 60 * 60 * 1000;
/** The longest `--session-ttl` accepted: ten years. */
export const MAX_SESSION_TTL_MS = 10 * 365 * 24 * 60 * 60 * 1000;
/** Password hashes waiting or running at once, over all connections; more are refused at once. */
export const HASH_QUEUE_MAX = 1024;
/** Password hashes waiting or running at once for one source address. */
export const HASH_QUEUE_PER_SOURCE_MAX = 8;
/** Password hashes waiting or running at once for one connection. */
export const HASH_QUEUE_PER_CONNECTION_MAX = 2;
/** Failed logins of one user, or from one address, before each next try must wait. */
export const LOGIN_FREE_FAILURES = 5;
/** Wait after the first failure past the free ones; it doubles with each further failure. */
export const LOGIN_DELAY_BASE_MS = 1000;
/** Longest wait between two tries. */
export const LOGIN_DELAY_MAX_MS = 5 * 60 * 1000;
/** A user's or address's failures are forgotten after this long without one. */
export const LOGIN_FAILURES_FORGET_MS = 60 * 60 * 1000;
/** Users and addresses whose failures are remembered at once (the oldest are forgotten first). */
export const LOGIN_FAILURES_MAX_ENTRIES = 100_000;
/** How long a download ticket lets seeders serve its holder (10 minutes); downloads renew it. */
export const TICKET_LIFETIME_MS = 10 * 60 * 1000;
/** The shortest `--ticket-lifetime` accepted. */
export const MIN_TICKET_LIFETIME_MS = 1000;
/** The longest `--ticket-lifetime` accepted: a day. */
export const MAX_TICKET_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** What a tracker needs to run. */
export interface TrackerConfig {
  /** Interface to listen on. @default DEFAULT_HOST */
  host: string;
  /** Port to listen on; 0 picks a free one. @default DEFAULT_PORT */
  port: number;
  /** Serve the dashboard and `/metrics` on this port of `host`; 0 picks one. @default undefined (none) */
  httpPort?: number | undefined;
  /** Directory of the SQLite op log. @default {@link defaultDataDir} */
  dataDir: string;
  /** This tracker's id, the origin of its ops (1 to MAX_ID). @default DEFAULT_ID */
  id: number;
  /** Peer trackers to replicate with, host:port. @default [] */
  peers: string[];
  /** Shared secret that authenticates links between trackers. @default undefined (no links accepted) */
  clusterSecret: string | undefined;
  /** How long a session lasts after its login. @default SESSION_TTL_MS (30 days) */
  sessionTtlMs: number;
  /** How long a client stays a live peer after its last lease op. @default PEER_LEASE_MS */
  peerLeaseMs: number;
  /** Balancers to register with, host:port. @default [] */
  balancers: string[];
  /** Address announced to balancers; the listening address when undefined. @default undefined */
  advertiseAddr: string | undefined;
  /** Control connections served at once. @default MAX_CONNECTIONS */
  maxConnections: number;
  /** Control connections served at once from one address. @default MAX_CONNECTIONS_PER_SOURCE */
  maxConnectionsPerSource: number;
  /** A connection silent this long is closed. @default IDLE_TIMEOUT_MS */
  idleTimeoutMs: number;
  /** A connection with no valid request this long after it opened is closed. @default FIRST_MESSAGE_TIMEOUT_MS */
  firstMessageTimeoutMs: number;
  /** Time between tries to write again after a failed commit. @default WRITE_RETRY_MS */
  writeRetryMs: number;
  /** Unfinished-line bytes held across connections. @default MAX_BUFFERED_BYTES */
  maxBufferedBytes: number;
  /** Ops between snapshots. @default SNAPSHOT_EVERY_OPS */
  snapshotEveryOps: number;
  /** Most ops of one origin kept behind the snapshot for a lagging peer. @default LOG_KEEP_OPS */
  logKeepOps: number;
  /** First redial wait. @default RECONNECT_INITIAL_MS */
  reconnectInitialMs: number;
  /** Longest redial wait. @default RECONNECT_MAX_MS */
  reconnectMaxMs: number;
  /** Ops per replication batch. @default REPLICATION_BATCH_OPS */
  replicationBatchOps: number;
  /** Serve TLS with this certificate and key. @default undefined (plain TCP) */
  tls: TlsIdentity | undefined;
  /** Dial peer trackers and balancers with TLS, trusting these roots (PEM). @default undefined (plain TCP) */
  tlsCaCerts: string[] | undefined;
  /** Ops stamped further ahead of this tracker's clock wait until it catches up. @default MAX_CLOCK_SKEW_MS */
  maxClockSkewMs: number;
  /** The wall clock in milliseconds (tests run a tracker ahead of time with it). @default Date.now */
  nowMs: () => number;
  /** Lifetime of the download tickets it signs. @default TICKET_LIFETIME_MS */
  ticketLifetimeMs: number;
  /** Receives log lines (warnings, link events). @default writes to stderr */
  log: (line: string) => void;
}

const encoder = new TextEncoder();

function logToStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}

/**
 * Where the op log lives when no directory is given.
 * @param suffix `id<N>` when an id was given, else the port
 * @returns the directory
 */
export function defaultDataDir(suffix: string): string {
  return `.data/tracker-${suffix}`;
}

/**
 * The default configuration: one tracker on 127.0.0.1:7000, no peers.
 * @returns a fresh config object
 */
export function defaultConfig(): TrackerConfig {
  return {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    dataDir: defaultDataDir(String(DEFAULT_PORT)),
    id: DEFAULT_ID,
    peers: [],
    clusterSecret: undefined,
    sessionTtlMs: SESSION_TTL_MS,
    peerLeaseMs: PEER_LEASE_MS,
    balancers: [],
    advertiseAddr: undefined,
    maxConnections: MAX_CONNECTIONS,
    maxConnectionsPerSource: MAX_CONNECTIONS_PER_SOURCE,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    firstMessageTimeoutMs: FIRST_MESSAGE_TIMEOUT_MS,
    writeRetryMs: WRITE_RETRY_MS,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    snapshotEveryOps: SNAPSHOT_EVERY_OPS,
    logKeepOps: LOG_KEEP_OPS,
    reconnectInitialMs: RECONNECT_INITIAL_MS,
    reconnectMaxMs: RECONNECT_MAX_MS,
    replicationBatchOps: REPLICATION_BATCH_OPS,
    tls: undefined,
    tlsCaCerts: undefined,
    maxClockSkewMs: MAX_CLOCK_SKEW_MS,
    nowMs: Date.now,
    ticketLifetimeMs: TICKET_LIFETIME_MS,
    log: logToStderr,
  };
}

/**
 * The configuration tests use: loopback, port 0, the test's own data
 * directory, quick redials, and log lines kept in `logLines`.
 * @param dataDir a temporary directory the test owns
 * @param overrides settings the test changes
 * @returns the config and the captured log
 */
export function testConfig(
  dataDir: string,
  overrides: Partial<TrackerConfig> = {},
): TrackerConfig & { logLines: string[] } {
  const logLines: string[] = [];
  return {
    ...defaultConfig(),
    host: "127.0.0.1",
    port: 0,
    dataDir,
    reconnectInitialMs: 50,
    reconnectMaxMs: 500,
    log: (line) => logLines.push(line),
    ...overrides,
    logLines,
  };
}

/** The tracker's flags, for its parser, its `--help` and the README's table. */
export const TRACKER_FLAGS: readonly FlagSpec[] = [
  {
    name: "host",
    arg: "HOST",
    env: "TRACKER_HOST",
    help: "interface to listen on",
    shownDefault: DEFAULT_HOST,
  },
  {
    name: "port",
    arg: "PORT",
    env: "TRACKER_PORT",
    help: "port to listen on; 0 picks a free one",
    shownDefault: String(DEFAULT_PORT),
  },
  {
    name: "http-port",
    arg: "PORT",
    env: "TRACKER_HTTP_PORT",
    help: "serve the read-only dashboard and /metrics on this port of the same host, 0 picks one",
    shownDefault: "none: no dashboard",
  },
  {
    name: "data-dir",
    arg: "DIR",
    env: "TRACKER_DATA_DIR",
    help: "where the op log lives",
    shownDefault: defaultDataDir("<port or id>"),
  },
  {
    name: "id",
    arg: "N",
    env: "TRACKER_ID",
    help: `this tracker's id, 1-${MAX_ID}`,
    shownDefault: String(DEFAULT_ID),
  },
  {
    name: "trackers",
    arg: "FILE",
    env: "TRACKER_TRACKERS",
    help: "tracker_info.txt: one host:port per line; line N is tracker N, the others its peers",
  },
  {
    name: "peer",
    kind: "list",
    arg: "HOST:PORT",
    env: "TRACKER_PEERS",
    help: "a peer tracker to replicate with (repeatable)",
  },
  {
    name: "cluster-secret-file",
    arg: "FILE",
    env: "TRACKER_CLUSTER_SECRET_FILE",
    help: "file (mode 600) holding the shared secret that authenticates links between trackers",
    shownDefault: "none: peer links refused",
  },
  {
    name: "cluster-secret",
    arg: "TEXT",
    env: "TRACKER_CLUSTER_SECRET",
    help: "the secret itself: the flag shows in the process list, prefer the file",
    shownDefault: "none: peer links refused",
  },
  {
    name: "session-ttl",
    arg: "DURATION",
    env: "TRACKER_SESSION_TTL",
    help: "how long a login lasts, e.g. 30d, 12h, 90m",
    shownDefault: "30d",
  },
  {
    name: "advertise",
    arg: "HOST:PORT",
    env: "TRACKER_ADVERTISE",
    help: "address peers and balancers should dial",
    shownDefault: "the listening address",
  },
  {
    name: "balancer",
    kind: "list",
    arg: "HOST:PORT",
    env: "TRACKER_BALANCER",
    help: "a balancer to register with (repeatable)",
  },
  {
    name: "max-clock-skew",
    arg: "SECS",
    env: "TRACKER_MAX_CLOCK_SKEW",
    help: "ops stamped further ahead of this clock wait until it catches up",
    shownDefault: String(MAX_CLOCK_SKEW_MS / 1000),
  },
  {
    name: "max-conns-per-address",
    arg: "N",
    env: "TRACKER_MAX_CONNS_PER_ADDRESS",
    help: "control connections served at once from one address (IPv4, or IPv6 /64)",
    shownDefault: String(MAX_CONNECTIONS_PER_SOURCE),
  },
  {
    name: "idle-timeout",
    arg: "MS",
    env: "TRACKER_IDLE_TIMEOUT_MS",
    help: "close a connection silent this long; keep it over 3x the clients' heartbeat interval",
    shownDefault: String(IDLE_TIMEOUT_MS),
  },
  {
    name: "peer-lease",
    arg: "MS",
    env: "TRACKER_PEER_LEASE_MS",
    help: "how long a client stays a live peer after its last renewal (it renews every 2.5 s)",
    shownDefault: String(PEER_LEASE_MS),
  },
  {
    name: "ticket-lifetime",
    arg: "MS",
    env: "TRACKER_TICKET_LIFETIME_MS",
    help: "how long a download ticket is good for",
    shownDefault: String(TICKET_LIFETIME_MS),
  },
  {
    name: "max-connections",
    arg: "N",
    env: "TRACKER_MAX_CONNECTIONS",
    help: "client connections served at once; more are told so and closed",
    shownDefault: String(MAX_CONNECTIONS),
  },
  {
    name: "status",
    arg: "HOST:PORT",
    help: "print a running tracker's links, version vector and memory, then exit",
  },
  ...tlsFlagSpecs("TRACKER", true),
  ...logFlagSpecs("TRACKER"),
  { name: "help", short: "h", kind: "boolean", help: "show this help" },
  { name: "version", kind: "boolean", help: "print the version and the protocol versions" },
];
