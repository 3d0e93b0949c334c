/**
 * The HTTP side every program shares: a read-only dashboard and metrics
 * server on the program's own host. It answers GET and HEAD only, so no
 * endpoint changes anything; it serves the page (dashboard_assets.ts), the
 * current view as JSON, the view as a live event stream, and `/metrics`.
 * The view is rebuilt on a timer and sent only when it changed.
 */
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS } from "./dashboard_assets.ts";
import type { DashboardView } from "./dashboard_view.ts";
import { EventStreamHub } from "./event_stream.ts";

/** Time between rebuilds of the view. */
export const VIEW_REFRESH_MS = 500;
/** Time between keep-alive comments on idle streams. */
export const KEEP_ALIVE_MS = 15_000;
/** Most event-stream listeners at once. */
export const MAX_STREAM_CLIENTS = 32;

/** Options of {@link startHttpPage}. */
export interface HttpPageOptions {
  /** Interface to listen on: the program's own. */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Builds the view now. */
  view: () => DashboardView;
  /** Renders the metrics now, in the Prometheus text format. */
  metrics: () => string;
  /** @default VIEW_REFRESH_MS */
  refreshMs?: number;
  /** @default MAX_STREAM_CLIENTS */
  maxStreamClients?: number;
}

/** A running dashboard server. */
export interface HttpPageHandle extends AsyncDisposable {
  /** host:port it listens on. */
  addr: string;
  /** The page's address, `http://host:port/`. */
  url: string;
  /** Rebuilds the view at once (after an event worth showing without delay). */
  refresh(): void;
  /** Ends every stream and stops listening. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

/**
 * The page's address for a listening host and port.
 * @returns `http://host:port/`, with an IPv6 host in brackets
 */
export function pageUrl(hostname: string, port: number): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `http://${host}:${port}/`;
}

function text(body: string, type: string, status = 200): Response {
  return new Response(body, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": `${type}; charset=utf-8` },
  });
}

/**
 * Starts the dashboard server.
 * @param options where to listen and what to show
 * @returns its handle
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export function startHttpPage(options: HttpPageOptions): HttpPageHandle {
  const hub = new EventStreamHub({ maxClients: options.maxStreamClients ?? MAX_STREAM_CLIENTS });
  let last = JSON.stringify(options.view());
  const refresh = () => {
    const next = JSON.stringify(options.view());
    if (next === last) return;
    last = next;
    hub.send("view", next);
  };
  const routes: Record<string, () => Response> = {
    "/": () => text(DASHBOARD_HTML, "text/html"),
    "/dashboard.css": () => text(DASHBOARD_CSS, "text/css"),
    "/dashboard.js": () => text(DASHBOARD_JS, "text/javascript"),
    "/view.json": () => text(JSON.stringify(options.view()), "application/json"),
    "/metrics": () => text(options.metrics(), "text/plain; version=0.0.4"),
    "/events": () => {
      refresh(); // the listeners already there get the change the newcomer starts from
      const response = hub.open({ event: "view", data: last });
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        response.headers.set(name, value);
      }
      return response;
    },
  };
  const server = Deno.serve({
    hostname: options.host,
    port: options.port,
    onListen: () => {},
    onError: () => text("Internal error\n", "text/plain", 500),
  }, (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      const response = text("Read-only: only GET and HEAD are answered\n", "text/plain", 405);
      response.headers.set("allow", "GET, HEAD");
      return response;
    }
    const path = new URL(request.url).pathname;
    if (request.method === "HEAD" && path === "/events") {
      // A HEAD takes no stream slot.
      return text("", "text/event-stream");
    }
    const route = routes[path];
    return route === undefined ? text("Not found\n", "text/plain", 404) : route();
  });
  const refreshTimer = setInterval(refresh, options.refreshMs ?? VIEW_REFRESH_MS);
  const keepAliveTimer = setInterval(() => hub.keepAlive(), KEEP_ALIVE_MS);
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      clearInterval(refreshTimer);
      clearInterval(keepAliveTimer);
      hub.close();
      await server.shutdown();
    })();
  const { hostname, port } = server.addr;
  return {
    addr: `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    url: pageUrl(hostname, port),
    refresh,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The line a program prints, beside its ready line, when its page is up.
 * @returns `<program> dashboard <url>`
 */
export function dashboardLine(program: string, url: string): string {
  return `${program} dashboard ${url}`;
}
