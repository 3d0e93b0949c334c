/**
 * The requesting side of a control connection: numbered requests, replies
 * matched by id (so heartbeats and commands share one connection), a timeout
 * per request, and messages without an id handed to a push listener. A reply
 * with `ok: false` is rebuilt into an `AppError` with the same code. A
 * connection that has sent nothing for a heartbeat interval sends a `ping`,
 * since servers close silent connections (accept_loop.ts).
 */
import { AppError, isErrorCode } from "./errors.ts";
import { encodeLine, LineDecoder, MAX_LINE_BYTES } from "./framing.ts";
import { PROTOCOL_VERSION } from "./envelope.ts";
import { formatAddr, parseHostPort, SerialWriter } from "./conn_io.ts";
import { connectConn } from "./tls.ts";
import { HEARTBEAT_INTERVAL_MS } from "./conn_watch.ts";

/** Options of {@link RpcClient.connect}. */
export interface RpcConnectOptions {
  /** Give up connecting after this long. @default CONNECT_TIMEOUT_MS */
  connectTimeoutMs?: number;
  /** Longest reply line accepted. @default MAX_LINE_BYTES */
  maxLineBytes?: number;
  /** Connect with TLS, accepting only a certificate from these roots (PEM). @default plain TCP */
  caCerts?: string[] | undefined;
  /** Receives messages that carry no id. */
  onPush?: (message: Record<string, unknown>) => void;
  /** Send a `ping` after this long without a request; 0 never does. @default HEARTBEAT_INTERVAL_MS */
  keepAliveMs?: number;
}

interface Pending {
  resolve(data: unknown): void;
  reject(error: AppError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Default time to wait for a reply. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Default time connecting may take. */
export const CONNECT_TIMEOUT_MS = 5000;

/** One control connection to a tracker, balancer or peer tracker. */
export class RpcClient {
  /** The address this client is connected to. */
  readonly addr: string;
  #conn: Deno.Conn;
  #writer: SerialWriter;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  #onPush: ((message: Record<string, unknown>) => void) | undefined;
  #keepAliveMs: number;
  #keepAlive: ReturnType<typeof setTimeout> | undefined;
  /** Settles when the connection has closed, for any reason. */
  readonly closed: Promise<void>;

  private constructor(addr: string, conn: Deno.Conn, options: RpcConnectOptions) {
    this.addr = addr;
    this.#conn = conn;
    this.#writer = new SerialWriter(conn);
    this.#onPush = options.onPush;
    this.#keepAliveMs = options.keepAliveMs ?? HEARTBEAT_INTERVAL_MS;
    this.closed = this.#readLoop(options.maxLineBytes ?? MAX_LINE_BYTES);
    this.#armKeepAlive();
  }

  /**
   * Connects to `addr`.
   * @param addr host:port
   * @returns a connected client
   * @throws {AppError} UNAVAILABLE when nothing answers, TIMEOUT when connecting takes too long
   */
  static async connect(addr: string, options: RpcConnectOptions = {}): Promise<RpcClient> {
    const { hostname, port } = parseHostPort(addr);
    const timeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const conn = await connectConn({ hostname, port, caCerts: options.caCerts, timeoutMs });
    return new RpcClient(addr, conn, options);
  }

  /** The address the socket reached, ip:port: the dialed name as resolved, not a relay's target. */
  get remoteAddr(): string {
    return formatAddr(this.#conn.remoteAddr);
  }

  /** True once the connection has closed. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one request and waits for its reply.
   * @param cmd the command name
   * @param fields the command's fields
   * @param timeoutMs how long to wait for the reply
   * @returns the reply's data
   * @throws {AppError} the reply's error, TIMEOUT, or UNAVAILABLE when the connection closes
   */
  request<T = Record<string, unknown>>(
    cmd: string,
    fields: Record<string, unknown> = {},
    timeoutMs: number = REQUEST_TIMEOUT_MS,
  ): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new AppError("UNAVAILABLE", `Connection to ${this.addr} is closed`));
    }
    const id = this.#nextId++;
    this.#armKeepAlive();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new AppError("TIMEOUT", `${this.addr} did not answer "${cmd}" in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (data: unknown) => void, reject, timer });
      this.#writer.write(encodeLine({ ...fields, id, v: PROTOCOL_VERSION, cmd })).catch(() => {
        // A failed write means the connection is gone: close it first, so a
        // caller that sees this error also sees `isClosed`.
        this.close();
        this.#fail(id, new AppError("UNAVAILABLE", `Connection to ${this.addr} broke`));
      });
    });
  }

  /** Closes the connection; pending requests fail with UNAVAILABLE. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#keepAlive);
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  /** (Re)starts the wait after which a silent connection pings. */
  #armKeepAlive(): void {
    clearTimeout(this.#keepAlive);
    if (this.#keepAliveMs <= 0 || this.#closed) return;
    this.#keepAlive = setTimeout(() => {
      this.request("ping").catch(() => {}); // a lost connection shows in the caller's next request
    }, this.#keepAliveMs);
  }

  #fail(id: number, error: AppError): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  async #readLoop(maxLineBytes: number): Promise<void> {
    const decoder = new LineDecoder(maxLineBytes);
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        for (const line of decoder.push(buffer.subarray(0, n))) this.#dispatch(line);
      }
    } catch {
      // reset, closed by us, or a reply too long: the connection is done either way
    } finally {
      this.close();
      for (const id of [...this.#pending.keys()]) {
        this.#fail(id, new AppError("UNAVAILABLE", `Connection to ${this.addr} closed`));
      }
    }
  }

  #dispatch(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line);
    } catch {
      return; // a garbled line from the server answers nothing we asked
    }
    if (typeof message !== "object" || message === null) return;
    const id = message["id"];
    const pending = typeof id === "number" ? this.#pending.get(id) : undefined;
    if (pending === undefined) {
      if (id === undefined) this.#onPush?.(message);
      return;
    }
    this.#pending.delete(id as number);
    clearTimeout(pending.timer);
    if (message["ok"] === true) {
      pending.resolve(message["data"]);
      return;
    }
    const error = message["error"] as { code?: unknown; message?: unknown } | undefined;
    const code = isErrorCode(error?.code) ? error.code : "INTERNAL";
    pending.reject(new AppError(code, String(error?.message ?? "Request failed")));
  }
}
