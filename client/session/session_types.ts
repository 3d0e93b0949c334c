/** The shapes a tracker session is configured with and keeps its state through. */

/** The cached session: who is logged in, and the token to resume with. */
export interface SessionRecord {
  user: string;
  token: string | null;
}

/** The session's timings and the balancers it asks. */
export interface SessionTimings {
  /** Balancers to ask for the least-loaded tracker. */
  balancers: string[];
  /** Time between heartbeats to the tracker. */
  heartbeatIntervalMs: number;
  /** A heartbeat unanswered for this long means the tracker is gone. */
  heartbeatTimeoutMs: number;
  /** Give up connecting to one tracker or balancer after this long. */
  connectTimeoutMs: number;
  /** Give up waiting for a command's reply after this long. */
  requestTimeoutMs: number;
  /** How long a command waits for a tracker when none is reachable. */
  commandWaitMs: number;
  /** First pause between reconnect rounds when no tracker answers. */
  firstRetryDelayMs: number;
  /** Longest pause between reconnect rounds when no tracker answers. */
  maxRetryDelayMs: number;
  /** Shortest wait for the reply to a login made again after failover. */
  reloginTimeoutMs: number;
}

/** Where the session is kept between runs. */
export interface SessionStore {
  session(): SessionRecord | undefined;
  saveSession(session: SessionRecord): void;
  clearSession(): void;
  /** The cluster key pinned at the first login, if any. */
  pinnedClusterKey(): string | undefined;
  /** Pins the cluster key, kept across logouts and restarts. */
  pinClusterKey(key: string): void;
}

/** Options of {@link TrackerSession}: the client's timings, its trackers, and callbacks. */
export interface TrackerSessionOptions extends SessionTimings {
  /** Trackers to try, in order (flags and file merged). */
  trackers: string[];
  store: SessionStore;
  /** Receives one line for the user, e.g. `notice: tracker a stopped answering; now using b`. */
  onNotice(line: string): void;
  /** Dial trackers and balancers with TLS, trusting these roots (PEM). @default plain TCP */
  caCerts?: string[] | undefined;
  /** Called after every login and every resumed session (to re-announce shares). */
  onSessionStarted(user: string): void;
}
