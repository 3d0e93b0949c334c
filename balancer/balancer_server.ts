/**
 * The balancer server: trackers prove they belong to the cluster, register
 * and report load, clients ask for the least-loaded live tracker. Health is
 * the balancer's own judgement from its pings; a client's `report_dead` only
 * asks for a check sooner.
 */
import { AppError, describeError } from "../protocol/errors.ts";
import { formatAddr } from "../protocol/conn_io.ts";
import { acceptConnections } from "../protocol/accept_loop.ts";
import { encodeLine } from "../protocol/framing.ts";
import { errorReply } from "../protocol/envelope.ts";
import { listenConn } from "../protocol/tls.ts";
import { type RequestHandler, serveControlConn } from "../protocol/rpc_server.ts";
import { TrackerGate } from "./tracker_gate.ts";
import { type BalancerRequest, parseBalancerRequest } from "../protocol/balancer_messages.ts";
import type { BalancerConfig } from "./config.ts";
import { HealthChecker } from "./checker.ts";
import { TrackerPool } from "./pool.ts";
import { BalancerActivity } from "./balancer_activity.ts";
import { commandLabel } from "../protocol/prom_text.ts";
import { startBalancerDashboard } from "./balancer_dashboard.ts";

/** A running balancer. */
export interface BalancerHandle extends AsyncDisposable {
  /** Where it listens, host:port. */
  addr: string;
  /** The dashboard's address, when `httpPort` asked for one. */
  dashboardUrl: string | undefined;
  /** Stops listening, closes every connection and timer. */
  close(): Promise<void>;
}

/**
 * Starts a balancer.
 * @param config the settings (see `defaultBalancerConfig()`)
 * @returns a handle with its address
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export async function startBalancer(config: BalancerConfig): Promise<BalancerHandle> {
  const log = config.log ?? (() => {});
  const pool = new TrackerPool({ maxMisses: config.maxMisses, maxTrackers: config.maxTrackers });
  const activity = new BalancerActivity();
  let onChange = () => {};
  const checker = new HealthChecker(pool, {
    pingTimeoutMs: config.pingTimeoutMs,
    hintMinGapMs: config.hintMinGapMs,
    caCerts: config.tlsCaCerts,
    log,
    onResult: (addr, result) => {
      activity.checked(addr, result, Date.now());
      if (result.transition !== "none") onChange();
    },
  });
  const listener = await listenConn({ hostname: config.host, port: config.port, tls: config.tls });
  const clusterSecret = config.clusterSecret === "" ? undefined : config.clusterSecret;
  if (clusterSecret === undefined) {
    log("no cluster secret: trackers are accepted on loopback addresses only, unproven");
  }
  const handlerFor = (conn: Deno.Conn): RequestHandler => {
    const gate = new TrackerGate({
      clusterSecret,
      localAddr: formatAddr(conn.localAddr),
      remoteAddr: formatAddr(conn.remoteAddr),
      log,
    });
    const verified = clusterSecret !== undefined;
    return async (raw) => {
      try {
        const reply = await handle(parseBalancerRequest(raw), {
          pool,
          checker,
          gate,
          verified,
          activity,
        });
        activity.request(commandLabel(raw["cmd"]));
        return reply;
      } catch (error) {
        const code = error instanceof AppError ? error.code : "INTERNAL";
        activity.request(commandLabel(raw["cmd"], code), code);
        throw error;
      } finally {
        onChange();
      }
    };
  };
  const options = {
    maxLineBytes: config.maxLineBytes,
    onInternalError: (error: unknown) => log(`internal error: ${describeError(error)}`),
  };
  const serving = acceptConnections(listener, {
    maxConnections: config.maxConnections,
    maxPerSource: config.maxConnectionsPerSource,
    firstMessageMs: config.firstMessageTimeoutMs,
    idleMs: config.idleTimeoutMs,
    serverName: "Balancer",
    refusal: (message) => encodeLine(errorReply(null, "UNAVAILABLE", message)),
    serve: (conn, activity) => serveControlConn(conn, handlerFor(conn), { ...options, activity }),
  });
  const timer = setInterval(() => {
    for (const addr of pool.forget(Date.now(), config.forgetAfterMs)) {
      checker.drop(addr);
      activity.forgot(addr);
    }
    for (const tracker of pool.list()) void checker.check(tracker.addr);
  }, config.pingIntervalMs);

  const addr = formatAddr(listener.addr);
  let dashboard: ReturnType<typeof startBalancerDashboard> | undefined;
  try {
    dashboard = config.httpPort === undefined ? undefined : startBalancerDashboard({
      host: config.host,
      port: config.httpPort,
      addr,
      connections: () => serving.size,
      maxMisses: config.maxMisses,
      pool,
      checker,
      activity,
    });
  } catch (error) {
    clearInterval(timer);
    return Promise.all([serving.close(), checker.close()]).then(() => Promise.reject(error));
  }
  // The page is redrawn at once on a change, not only on its timer.
  if (dashboard !== undefined) onChange = dashboard.refresh;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(timer);
      await dashboard?.close();
      await Promise.all([serving.close(), checker.close()]);
    })();
    return closing;
  };
  return Promise.resolve({
    addr,
    dashboardUrl: dashboard?.url,
    close,
    [Symbol.asyncDispose]: close,
  });
}

/** What one connection's requests are answered with. */
interface ConnContext {
  pool: TrackerPool;
  checker: HealthChecker;
  gate: TrackerGate;
  /** Whether every tracker in the pool proved the cluster secret. */
  verified: boolean;
  activity: BalancerActivity;
}

async function handle(request: BalancerRequest, ctx: ConnContext): Promise<unknown> {
  const { pool, checker, gate, activity } = ctx;
  switch (request.cmd) {
    case "ping":
      return { pong: true };
    case "tracker_hello":
      return gate.hello(request.addr, request.nonce);
    case "register_tracker":
    case "report_load": {
      if (request.cmd === "register_tracker") {
        gate.register(request.addr, request.balancer, request.proof);
        activity.registered(request.addr, Date.now());
      } else {
        gate.report(request.addr);
      }
      // A tracker not live yet (new, or back from a restart) is checked before the reply,
      // so a registered tracker is handed out as soon as its registration is answered.
      if (!pool.report(request.addr, request.clients, Date.now()).live) {
        await checker.check(request.addr);
      }
      return { live: pool.isLive(request.addr) };
    }
    case "get_tracker": {
      const picked = pool.pick(request.exclude);
      activity.handedOut(picked.addr, Date.now());
      return { ...picked, verified: ctx.verified };
    }
    case "report_dead":
      if (!pool.has(request.addr)) {
        throw new AppError("NOT_FOUND", `Tracker ${request.addr} is not registered`);
      }
      checker.hint(request.addr);
      activity.failoverReported(request.addr, Date.now());
      return { checking: true };
    case "list_trackers":
      return { trackers: pool.list() };
  }
}
