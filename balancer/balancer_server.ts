/**
 * The balancer server: trackers register and report load, clients ask for
 * the least-loaded live tracker. Health is the balancer's own judgement from
 * its pings; a client's `report_dead` only asks for a check sooner.
 */
import { AppError, describeError } from "../protocol/errors.ts";
import { formatAddr } from "../protocol/conn_io.ts";
import { acceptConnections } from "../protocol/accept_loop.ts";
import { encodeLine } from "../protocol/framing.ts";
import { errorReply } from "../protocol/envelope.ts";
import { serveControlConn } from "../protocol/rpc_server.ts";
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
    log,
  });
  const listener = Deno.listen({ hostname: config.host, port: config.port });
  const handler = (raw: Record<string, unknown>) =>
    handle(parseBalancerRequest(raw), pool, checker);
  const options = {
    maxLineBytes: config.maxLineBytes,
    onInternalError: (error: unknown) => log(`internal error: ${describeError(error)}`),
  };
  const serving = acceptConnections(listener, {
    maxConnections: config.maxConnections,
    refusal: encodeLine(
      errorReply(
        null,
        "UNAVAILABLE",
        `Balancer is at its limit of ${config.maxConnections} connections`,
      ),
    ),
    serve: (conn) => serveControlConn(conn, handler, options),
  });
  const timer = setInterval(() => {
    for (const addr of pool.forget(Date.now(), config.forgetAfterMs)) checker.drop(addr);
    for (const tracker of pool.list()) void checker.check(tracker.addr);
  }, config.pingIntervalMs);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(timer);
      await Promise.all([serving.close(), checker.close()]);
    })();
    return closing;
  };
  return Promise.resolve({
    addr: formatAddr(listener.addr),
    close,
    [Symbol.asyncDispose]: close,
  });
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
