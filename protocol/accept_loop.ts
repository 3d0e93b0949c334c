/**
 * The one accept loop of every server (tracker, balancer, seeder): serves
 * each accepted connection until it closes, at most `maxConnections` at
 * once and at most `maxPerSource` from one source address (an IPv4 address
 * or an IPv6 /64), so one address cannot take every slot. A connection over
 * a cap is sent the server's `UNAVAILABLE` refusal (an error line or an
 * error frame) and closed, without being waited on.
 *
 * One timer sweeps every connection: one that has said no valid first
 * message within `firstMessageMs`, or that has been silent for `idleMs`
 * while the server was not answering it, is closed. A sweep that runs late
 * (the event loop was blocked) closes nothing: replies that waited behind
 * the block have not been read yet.
 */
import { writeAll } from "./conn_io.ts";
import { type ConnActivity, ConnWatch } from "./conn_watch.ts";
import { sourceKey } from "./source_address.ts";

/** Options of {@link acceptConnections}. */
export interface AcceptOptions {
  /** Connections served at once; more are refused. */
  maxConnections: number;
  /** Connections served at once from one source address; more from it are refused. */
  maxPerSource: number;
  /** A connection with no valid first message this long after it opened is closed. */
  firstMessageMs: number;
  /** A connection silent this long, while not being answered, is closed. */
  idleMs: number;
  /** Encodes the `UNAVAILABLE` refusal sent to a connection over a cap, with its message. */
  refusal(message: string): Uint8Array;
  /** The server's name in refusal messages, e.g. "Tracker". */
  serverName: string;
  /**
   * Serves one connection until it ends; must not throw. It reports what it
   * hears, a valid first message and its busy spells through `activity`.
   */
  serve(conn: Deno.Conn, activity: ConnActivity): Promise<void>;
  /** Told when a connection is closed for a deadline. @default nothing */
  onClosed?: (remote: string, reason: string) => void;
}

/** The running loop. */
export interface AcceptLoop {
  /** Connections being served now. */
  readonly size: number;
  /** Stops accepting, closes every connection and waits until each is served out. */
  close(): Promise<void>;
}

interface Served {
  done: Promise<void>;
  watch: ConnWatch;
  source: string;
}

/**
 * Accepts connections from `listener` until {@link AcceptLoop.close}.
 * @returns the loop; it owns the listener from now on
 */
export function acceptConnections(listener: Deno.Listener, options: AcceptOptions): AcceptLoop {
  const conns = new Map<Deno.Conn, Served>();
  const perSource = new Map<string, number>();
  const now = () => performance.now();
  let stopped = false;
  const accepting = (async () => {
    while (!stopped) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopped || error instanceof Deno.errors.BadResource) break;
        // Out of file descriptors, or a connection reset before it was taken: go on.
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      const source = sourceOf(conn);
      const fromSource = perSource.get(source) ?? 0;
      if (conns.size >= options.maxConnections) {
        const limit = `its limit of ${options.maxConnections} connections`;
        refuse(conn, options.refusal(`${options.serverName} is at ${limit}`));
        continue;
      }
      if (fromSource >= options.maxPerSource) {
        const limit = `its limit of ${options.maxPerSource} connections from one address`;
        refuse(conn, options.refusal(`${options.serverName} is at ${limit}`));
        continue;
      }
      perSource.set(source, fromSource + 1);
      const watch = new ConnWatch(now);
      const done = options.serve(conn, watch).catch(() => {}).finally(() => {
        conns.delete(conn);
        const left = (perSource.get(source) ?? 1) - 1;
        if (left > 0) perSource.set(source, left);
        else perSource.delete(source);
      });
      conns.set(conn, { done, watch, source });
    }
  })();

  const sweepMs = Math.min(
    1000,
    Math.max(10, Math.min(options.firstMessageMs, options.idleMs) / 4),
  );
  let lastSweepMs = now();
  const sweeper = setInterval(() => {
    const at = now();
    const late = at - lastSweepMs > 2 * sweepMs + 50;
    lastSweepMs = at;
    if (late) return;
    const limits = { firstMessageMs: options.firstMessageMs, idleMs: options.idleMs };
    for (const [conn, served] of conns) {
      const reason = served.watch.overdue(at, limits);
      if (reason === undefined) continue;
      options.onClosed?.(served.source, reason);
      closeQuietly(conn);
    }
  }, sweepMs);

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      clearInterval(sweeper);
      stopped = true;
      closeQuietly(listener);
      await accepting;
      const served = [...conns.values()].map((s) => s.done);
      for (const conn of conns.keys()) closeQuietly(conn);
      await Promise.all(served);
    })();
  return {
    get size() {
      return conns.size;
    },
    close,
  };
}

function sourceOf(conn: Deno.Conn): string {
  const addr = conn.remoteAddr as Deno.NetAddr;
  return typeof addr.hostname === "string" ? sourceKey(addr.hostname) : "local";
}

/** Pause before accepting again after accept failed (out of file descriptors). */
const ACCEPT_RETRY_MS = 100;
/** How long a refused connection has to take its refusal (a TLS one must finish its handshake). */
const REFUSAL_WAIT_MS = 1000;

/** Writes the refusal and closes the connection, in the background and within a bound. */
function refuse(conn: Deno.Conn, refusal: Uint8Array): void {
  const timer = setTimeout(() => closeQuietly(conn), REFUSAL_WAIT_MS);
  writeAll(conn, refusal).catch(() => {}).finally(() => {
    clearTimeout(timer);
    closeQuietly(conn);
  });
}

function closeQuietly(closer: { close(): void }): void {
  try {
    closer.close();
  } catch {
    // already closed
  }
}
