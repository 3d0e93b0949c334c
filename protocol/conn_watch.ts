/**
 * What a server knows of one connection's liveness: when it opened, when the
 * peer last said something, whether it has said a valid first message, and
 * whether the server is busy answering it. The accept loop asks each watch
 * in turn whether its connection is overdue. Pure: the caller passes the time.
 */

/**
 * Every long-lived control connection speaks at least this often: clients'
 * heartbeats, the balancer's health pings, trackers' load reports and the
 * keepalives of cluster links.
 */
export const HEARTBEAT_INTERVAL_MS = 1000;
/** A control connection silent for this many heartbeat intervals is closed. */
export const IDLE_HEARTBEATS = 3;
/** A connection that has said no valid first message this long after it opened is closed. */
export const FIRST_MESSAGE_TIMEOUT_MS = 10_000;

/** What a connection's server reports while it serves it. */
export interface ConnActivity {
  /** Bytes arrived from the peer. */
  heard(): void;
  /** The peer said a valid message: it is no stranger any more. */
  greeted(): void;
  /**
   * The server starts answering: silence does not count until the returned
   * function is called, since a peer waits for its answer.
   */
  busy(): () => void;
}

/** Deadlines of a connection, in milliseconds. */
export interface WatchLimits {
  /** From opening to a valid first message. */
  firstMessageMs: number;
  /** Of silence while the server is not answering. */
  idleMs: number;
}

/** Why a connection is closed. */
export type Overdue = "no valid first message" | "silent";

/** One connection's liveness. */
export class ConnWatch implements ConnActivity {
  #now: () => number;
  #openedMs: number;
  #lastActiveMs: number;
  #greeted = false;
  #busy = 0;

  /** @param now the clock in milliseconds */
  constructor(now: () => number) {
    this.#now = now;
    this.#openedMs = now();
    this.#lastActiveMs = this.#openedMs;
  }

  heard(): void {
    this.#lastActiveMs = this.#now();
  }

  greeted(): void {
    this.#greeted = true;
  }

  busy(): () => void {
    this.#busy++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#busy--;
      this.#lastActiveMs = this.#now();
    };
  }

  /**
   * Tells whether the connection has passed a deadline.
   * @returns the reason to close it, or undefined to keep it
   */
  overdue(nowMs: number, limits: WatchLimits): Overdue | undefined {
    if (!this.#greeted && nowMs - this.#openedMs >= limits.firstMessageMs) {
      return "no valid first message";
    }
    if (this.#busy === 0 && nowMs - this.#lastActiveMs >= limits.idleMs) return "silent";
    return undefined;
  }
}
