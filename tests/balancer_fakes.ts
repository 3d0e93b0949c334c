/**
 * Test helpers for the balancer: a stand-in tracker that answers `ping` on a
 * real socket (and can be made to hang), a raw line connection for sending
 * garbage, and a bounded poll.
 */
import { formatAddr, SerialWriter } from "../protocol/conn_io.ts";
import { encodeLine, LineDecoder } from "../protocol/framing.ts";
import { serveControlConn } from "../protocol/rpc_server.ts";
import { AppError } from "../protocol/errors.ts";

/** A listener that answers a tracker's `ping`, or hangs while `answering` is false. */
export class FakeTracker implements AsyncDisposable {
  readonly addr: string;
  #listener: Deno.Listener;
  #conns = new Set<Deno.Conn>();
  #served = new Set<Promise<void>>();
  #accepting: Promise<void>;
  #gate = Promise.withResolvers<void>();
  #answering = true;
  pings = 0;

  constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.addr = formatAddr(this.#listener.addr);
    this.#accepting = this.#accept();
  }

  /** Stops answering pings (they hang) or starts again. */
  set answering(value: boolean) {
    this.#answering = value;
    if (value) this.#gate.resolve();
    else this.#gate = Promise.withResolvers<void>();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        const done = serveControlConn(conn, async (raw) => {
          if (!this.#answering) await this.#gate.promise;
          if (raw["cmd"] !== "ping") throw new AppError("UNKNOWN_COMMAND", "only ping");
          this.pings++;
          return { pong: true };
        }).finally(() => {
          this.#conns.delete(conn);
          this.#served.delete(done);
        });
        this.#served.add(done);
      }
    } catch {
      // closed
    }
  }

  #closing: Promise<void> | undefined;

  [Symbol.asyncDispose](): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    this.#gate.resolve();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#served);
  }
}

/** A raw control connection that sends any bytes and reads reply lines. */
export class RawLines implements AsyncDisposable {
  #conn: Deno.TcpConn;
  #writer: SerialWriter;
  #decoder = new LineDecoder(1024 * 1024);
  #lines: string[] = [];
  #buffer = new Uint8Array(64 * 1024);

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.#writer = new SerialWriter(conn);
  }

  /** Connects to host:port. */
  static async connect(addr: string): Promise<RawLines> {
    const colon = addr.lastIndexOf(":");
    const conn = await Deno.connect({
      hostname: addr.slice(0, colon),
      port: Number(addr.slice(colon + 1)),
    });
    return new RawLines(conn);
  }

  /** Sends text or bytes as they are. */
  send(data: string | Uint8Array): Promise<void> {
    return this.#writer.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  /** Sends one JSON request line. */
  request(message: unknown): Promise<void> {
    return this.#writer.write(encodeLine(message));
  }

  /** Reads the next reply line as an object, or null when the server closed. */
  async next(): Promise<Record<string, unknown> | null> {
    while (this.#lines.length === 0) {
      const n = await this.#conn.read(this.#buffer).catch(() => null);
      if (n === null) return null;
      this.#lines.push(...this.#decoder.push(this.#buffer.subarray(0, n)));
    }
    return JSON.parse(this.#lines.shift()!);
  }

  [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    return Promise.resolve();
  }
}

/**
 * Polls `probe` until it returns a value other than undefined.
 * @returns that value
 * @throws {Error} naming `what` after `timeoutMs`
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
