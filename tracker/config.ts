/**
 * Every setting, timeout and limit of the tracker, with its unit in its name,
 * and the one function that gives their defaults.
 */
import { MAX_LINE_BYTES } from "../protocol/framing.ts";

/** Default control port. */
export const DEFAULT_PORT = 7000;
/** Ops applied between two snapshots of the state. */
export const SNAPSHOT_EVERY_OPS = 5000;
/** Most ops a due snapshot waits for while the tracker catches up on ops a peer holds. */
export const SNAPSHOT_DEFER_MAX_OPS = 250_000;
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
/** Longest control line: one op may carry a manifest as large as a client's request. */
export const TRACKER_MAX_LINE_BYTES = MAX_LINE_BYTES + 256 * 1024;
/** Control connections served at once; more are told so and closed. */
export const MAX_CONNECTIONS = 4096;
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
/** How long a download ticket lets seeders serve its holder (10 minutes); downloads renew it. */
export const TICKET_LIFETIME_MS = 10 * 60 * 1000;

/** What a tracker needs to run. */
export interface TrackerConfig {
  /** Interface to listen on. @default "127.0.0.1" */
  host: string;
  /** Port to listen on; 0 picks a free one. @default 7000 */
  port: number;
  /** Directory of the SQLite op log. @default `.data/tracker-<port or id>` */
  dataDir: string;
  /** This tracker's id, the origin of its ops (1-99999). @default 1 */
  id: number;
  /** Peer trackers to replicate with, host:port. @default [] */
  peers: string[];
  /** Shared secret that authenticates links between trackers. @default undefined (no links accepted) */
  clusterSecret: string | undefined;
  /** Balancers to register with, host:port. @default [] */
  balancers: string[];
  /** Address announced to balancers; the listening address when undefined. @default undefined */
  advertiseAddr: string | undefined;
  /** Control connections served at once. @default MAX_CONNECTIONS */
  maxConnections: number;
  /** Unfinished-line bytes held across connections. @default MAX_BUFFERED_BYTES */
  maxBufferedBytes: number;
  /** Ops between snapshots. @default SNAPSHOT_EVERY_OPS */
  snapshotEveryOps: number;
  /** First redial wait. @default RECONNECT_INITIAL_MS */
  reconnectInitialMs: number;
  /** Longest redial wait. @default RECONNECT_MAX_MS */
  reconnectMaxMs: number;
  /** Ops per replication batch. @default REPLICATION_BATCH_OPS */
  replicationBatchOps: number;
  /** Lifetime of the download tickets it signs. @default TICKET_LIFETIME_MS */
  ticketLifetimeMs: number;
  /** Receives log lines (warnings, link events). @default writes to stderr */
  log: (line: string) => void;
  /** Told when the op log cannot be written: the tracker can no longer promise durability. @default nothing */
  onFatal: (error: unknown) => void;
}

const encoder = new TextEncoder();

function logToStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}

/**
 * The default configuration: one tracker on 127.0.0.1:7000, no peers.
 * @returns a fresh config object
 */
export function defaultConfig(): TrackerConfig {
  return {
    host: "127.0.0.1",
    port: DEFAULT_PORT,
    dataDir: `.data/tracker-${DEFAULT_PORT}`,
    id: 1,
    peers: [],
    clusterSecret: undefined,
    balancers: [],
    advertiseAddr: undefined,
    maxConnections: MAX_CONNECTIONS,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    snapshotEveryOps: SNAPSHOT_EVERY_OPS,
    reconnectInitialMs: RECONNECT_INITIAL_MS,
    reconnectMaxMs: RECONNECT_MAX_MS,
    replicationBatchOps: REPLICATION_BATCH_OPS,
    ticketLifetimeMs: TICKET_LIFETIME_MS,
    log: logToStderr,
    onFatal: () => {},
  };
}
