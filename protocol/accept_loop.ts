/**
 * The one accept loop of every server (tracker, balancer, seeder): serves
 * each accepted connection until it closes, at most `maxConnections` at
 * once. A connection over the cap is sent the server's `UNAVAILABLE` refusal
 * (an error line or an error frame) and closed, without being waited on.
 */
import { writeAll } from "./conn_io.ts";

/** Options of {@link acceptConnections}. */
export interface AcceptOptions {
  /** Connections served at once; more are refused. */
  maxConnections: number;
  /** Bytes sent to a connection over the cap before it is closed: an `UNAVAILABLE` error. */
  refusal: Uint8Array;
  /** Serves one connection until it ends; must not throw. */
  serve(conn: Deno.Conn): Promise<void>;
}

/** The running loop. */
export interface AcceptLoop {
  /** Connections being served now. */
  readonly size: number;
  /** Stops accepting, closes every connection and waits until each is served out. */
  close(): Promise<void>;
}

/**
 * Accepts connections from `listener` until {@link AcceptLoop.close}.
 * @returns the loop; it owns the listener from now on
 */
export function acceptConnections(listener: Deno.Listener, options: AcceptOptions): AcceptLoop {
  const conns = new Map<Deno.Conn, Promise<void>>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        if (conns.size >= options.maxConnections) {
          refuse(conn, options.refusal);
          continue;
        }
        conns.set(conn, options.serve(conn).catch(() => {}).finally(() => conns.delete(conn)));
      }
    } catch {
      // the listener was closed
    }
  })();
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      closeQuietly(listener);
      await accepting;
      const served = [...conns.values()];
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

/** Writes the refusal and closes the connection, in the background. */
function refuse(conn: Deno.Conn, refusal: Uint8Array): void {
  writeAll(conn, refusal).catch(() => {}).finally(() => closeQuietly(conn));
}

function closeQuietly(closer: { close(): void }): void {
  try {
    closer.close();
  } catch {
    // already closed
  }
}
