/**
 * The requesting side of a control connection: numbered requests, replies
 * matched by id (so heartbeats and commands share one connection), a timeout
 * per request, and messages without an id handed to a push listener. A reply
 * with `ok: false` is rebuilt into an `AppError` with the same code.
 */
import { AppError, isErrorCode } from "./errors.ts";
import { encodeLine, LineDecoder, MAX_LINE_BYTES } from "./framing.ts";
import { PROTOCOL_VERSION } from "./envelope.ts";
import { formatAddr, parseHostPort, SerialWriter } from "./conn_io.ts";

/** Options of {@link RpcClient.connect}. */
export interface RpcConnectOptions {
  /** Give up connecting after this long. @default 5000 */
  connectTimeoutMs?: number;
  /** Longest reply line accepted. @default MAX_LINE_BYTES */
  maxLineBytes?: number;
  /** Receives messages that carry no id. */
  onPush?: (message: Record<string, unknown>) => void;
}

interface Pending {
  resolve(data: unknown): void;
  reject(error: AppError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Default time to wait for a reply. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** One control connection to a tracker, balancer or peer tracker. */
export class RpcClient {
  /** The address this client is connected to. */
  readonly addr: string;
  #conn: Deno.TcpConn;
  #writer: SerialWriter;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  #onPush: ((message: Record<string, unknown>) => void) | undefined;
  /** Settles when the connection has closed, for any reason. */
  readonly closed: Promise<void>;

  private constructor(addr: string, conn: Deno.TcpConn, options: RpcConnectOptions) {
    this.addr = addr;
    this.#conn = conn;
    this.#writer = new SerialWriter(conn);
    this.#onPush = options.onPush;
    conn.setNoDelay(true);
    this.closed = this.#readLoop(options.maxLineBytes ?? MAX_LINE_BYTES);
  }

  /**
   * Connects to `addr`.
   * @param addr host:port
   * @returns a connected client
   * @throws {AppError} UNAVAILABLE when nothing answers, TIMEOUT when connecting takes too long
   */
  static async connect(addr: string, options: RpcConnectOptions = {}): Promise<RpcClient> {
    const { hostname, port } = parseHostPort(addr);
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = Deno.connect({ hostname, port });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError("TIMEOUT", `Connecting to ${addr} timed out`)),
        timeoutMs,
      );
    });
    try {
      const conn = await Promise.race([attempt, timeout]);
      return new RpcClient(addr, conn, options);
    } catch (error) {
      attempt.then((conn) => conn.close(), () => {});
      if (error instanceof AppError) throw error;
      throw new AppError("UNAVAILABLE", `Cannot connect to ${addr}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
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

  /** The address the connection reached, as the network resolved it (ip:port). */
  get remoteAddr(): string {
    return formatAddr(this.#conn.remoteAddr);
  }

  /** Closes the connection; pending requests fail with UNAVAILABLE. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
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
