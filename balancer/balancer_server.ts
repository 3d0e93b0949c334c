/**
 * The balancer server: trackers register and report load, clients ask for
 * the least-loaded live tracker. Health is the balancer's own judgement from
 * its pings; a client's `report_dead` only asks for a check sooner.
 */
import { AppError } from "../protocol/errors.ts";
import { formatAddr } from "../protocol/conn_io.ts";
import { listenConn } from "../protocol/tls.ts";
import { type RequestHandler, serveControlConn } from "../protocol/rpc_server.ts";
import { type BalancerRequest, parseBalancerRequest } from "../protocol/balancer_messages.ts";
import type { BalancerConfig } from "./config.ts";
import { HealthChecker } from "./checker.ts";
import { TrackerPool } from "./pool.ts";

/** A running balancer. */
export interface BalancerHandle extends AsyncDisposable {
  /** Where it listens, host:port. */
  addr: string;
  /** Stops listening, closes every connection and timer. */
  close(): Promise<void>;
}

/**
 * Starts a balancer.
 * @param config the settings (see `defaultBalancerConfig()`)
 * @returns a handle with its address
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export function startBalancer(config: BalancerConfig): Promise<BalancerHandle> {
  const log = config.log ?? (() => {});
  const pool = new TrackerPool({ maxMisses: config.maxMisses, maxTrackers: config.maxTrackers });
  const checker = new HealthChecker(pool, {
    pingTimeoutMs: config.pingTimeoutMs,
    hintMinGapMs: config.hintMinGapMs,
    caCerts: config.tlsCaCerts,
    log,
  });
  const listener = listenConn({ hostname: config.host, port: config.port, tls: config.tls });
  const handler = (raw: Record<string, unknown>) =>
    handle(parseBalancerRequest(raw), pool, checker);
  const serving = acceptLoop(listener, handler, config, log);
  const timer = setInterval(() => {
    for (const addr of pool.forget(Date.now(), config.forgetAfterMs)) checker.drop(addr);
    for (const tracker of pool.list()) void checker.check(tracker.addr);
  }, config.pingIntervalMs);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(timer);
      listener.close();
      await Promise.all([serving.closeAll(), checker.close()]);
    })();
    return closing;
  };
  return Promise.resolve({
    addr: formatAddr(listener.addr),
    close,
    [Symbol.asyncDispose]: close,
  });
}

/** Serves every accepted connection, up to `maxConnections` at once. */
function acceptLoop(
  listener: Deno.Listener,
  handler: RequestHandler,
  config: BalancerConfig,
  log: (line: string) => void,
): { closeAll(): Promise<void> } {
  const conns = new Map<Deno.Conn, Promise<void>>();
  const options = {
    maxLineBytes: config.maxLineBytes,
    onInternalError: (error: unknown) => log(`internal error: ${String(error)}`),
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        if (conns.size >= config.maxConnections) {
          conn.close();
          continue;
        }
        conns.set(conn, serveControlConn(conn, handler, options).finally(() => conns.delete(conn)));
      }
    } catch {
      // the listener closed
    }
  })();
  const closeAll = async () => {
    await accepting; // ends once the caller closed the listener
    const served = [...conns.values()];
    for (const conn of conns.keys()) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(served);
  };
  return { closeAll };
}

async function handle(
  request: BalancerRequest,
  pool: TrackerPool,
  checker: HealthChecker,
): Promise<unknown> {
  switch (request.cmd) {
    case "ping":
      return { pong: true };
    case "register_tracker":
    case "report_load": {
      // A tracker not live yet (new, or back from a restart) is checked before the reply,
      // so a registered tracker is handed out as soon as its registration is answered.
      if (!pool.report(request.addr, request.clients, Date.now()).live) {
        await checker.check(request.addr);
      }
      return { live: pool.isLive(request.addr) };
    }
    case "get_tracker":
      return pool.pick(request.exclude);
    case "report_dead":
      if (!pool.has(request.addr)) {
        throw new AppError("NOT_FOUND", `Tracker ${request.addr} is not registered`);
      }
      checker.hint(request.addr);
      return { checking: true };
    case "list_trackers":
      return { trackers: pool.list() };
  }
}
