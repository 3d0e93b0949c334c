/**
 * Every setting of the balancer, with its unit in its name, and the one
 * function that gives the defaults. `main.ts` overrides them from flags and
 * environment variables ({@link BALANCER_ENV}).
 */
import type { TlsIdentity } from "../protocol/tls.ts";

/** The balancer's settings. */
export interface BalancerConfig {
  /** Interface to listen on. @default "127.0.0.1" */
  host: string;
  /** Port to listen on; 0 picks a free one. @default 7100 */
  port: number;
  /** Time between health pings of each tracker. @default 1000 */
  pingIntervalMs: number;
  /** How long a ping (connect included) may take before it counts as missed. @default 1000 */
  pingTimeoutMs: number;
  /** Pings missed in a row before a tracker is out. @default 3 */
  maxMisses: number;
  /** A `report_dead` this soon after the tracker's last check does not ping it again. @default 250 */
  hintMinGapMs: number;
  /** Most trackers the balancer keeps. @default 1024 */
  maxTrackers: number;
  /** An out tracker silent this long is forgotten. @default 600000 */
  forgetAfterMs: number;
  /** Most control connections served at once. @default 4096 */
  maxConnections: number;
  /** Longest request line. @default 65536 */
  maxLineBytes: number;
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
    host: "127.0.0.1",
    port: 7100,
    pingIntervalMs: 1000,
    pingTimeoutMs: 1000,
    maxMisses: 3,
    hintMinGapMs: 250,
    maxTrackers: 1024,
    forgetAfterMs: 10 * 60_000,
    maxConnections: 4096,
    maxLineBytes: 64 * 1024,
  };
}

/** Environment variables that set the same values as the flags. */
export const BALANCER_ENV = {
  host: "BALANCER_HOST",
  port: "BALANCER_PORT",
  pingIntervalMs: "BALANCER_PING_INTERVAL_MS",
  pingTimeoutMs: "BALANCER_PING_TIMEOUT_MS",
  maxMisses: "BALANCER_MAX_MISSES",
} as const;
