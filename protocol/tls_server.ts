/**
 * A TLS listener whose connections give their socket back the moment they
 * are closed, handshake finished or not. A connection from `Deno.listenTls`
 * closed before its handshake keeps its socket open until the peer speaks or
 * hangs up, so silent connections would use up the process's descriptors
 * even after the accept loop closed them; the TLS of `node:tls` over a
 * `node:net` socket has no such wait. Each connection is served to callers
 * as a `Deno.Conn`, so the accept loop and the servers see no difference.
 */
import net from "node:net";
import tls from "node:tls";
import { writeAll } from "./conn_io.ts";

/** Cleartext a connection holds unread before it stops reading from the socket. */
const READ_HIGH_WATER_BYTES = 16 * 1024;
/** Accepted connections waiting for `accept()`; more are dropped at once. */
const MAX_WAITING_CONNS = 1024;
/** How long a closed connection may take to flush and say close_notify before its socket goes. */
const CLOSE_NOTIFY_GRACE_MS = 1000;

/**
 * Listens with TLS on `hostname:port`.
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export async function listenReleasingTls(
  hostname: string,
  port: number,
  identity: { cert: string; key: string },
): Promise<Deno.Listener> {
  const context = tls.createSecureContext({ cert: identity.cert, key: identity.key });
  const server = net.createServer({ pauseOnConnect: false });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error & { code?: string }) => {
      if (error.code === "EADDRINUSE") reject(new Deno.errors.AddrInUse(error.message));
      else reject(error);
    };
    server.once("error", failed);
    server.listen({ host: hostname, port }, () => {
      server.off("error", failed);
      resolve();
    });
  });
  return new ReleasingTlsListener(server, context);
}

class ReleasingTlsListener implements Deno.Listener {
  readonly addr: Deno.NetAddr;
  #server: net.Server;
  #waiting: Deno.Conn[] = [];
  #acceptors: { resolve(conn: Deno.Conn): void; reject(error: Error): void }[] = [];
  #closed = false;

  constructor(server: net.Server, context: tls.SecureContext) {
    this.#server = server;
    const { address, port } = server.address() as net.AddressInfo;
    this.addr = { transport: "tcp", hostname: address, port };
    // Out of descriptors or a reset before accept: the server goes on listening.
    server.on("error", () => {});
    server.on("connection", (socket: net.Socket) => {
      socket.setNoDelay(true);
      const conn = new ReleasingTlsConn(socket, context);
      const acceptor = this.#acceptors.shift();
      if (acceptor !== undefined) acceptor.resolve(conn);
      else if (this.#closed || this.#waiting.length >= MAX_WAITING_CONNS) conn.close();
      else this.#waiting.push(conn);
    });
  }

  accept(): Promise<Deno.Conn> {
    const conn = this.#waiting.shift();
    if (conn !== undefined) return Promise.resolve(conn);
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Listener is closed"));
    return new Promise((resolve, reject) => this.#acceptors.push({ resolve, reject }));
  }

  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("Listener is closed");
    this.#closed = true;
    this.#server.close();
    for (const conn of this.#waiting.splice(0)) conn.close();
    const closed = new Deno.errors.BadResource("Listener is closed");
    for (const acceptor of this.#acceptors.splice(0)) acceptor.reject(closed);
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<Deno.Conn> {
    while (true) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource) return;
        throw error;
      }
    }
  }

  ref(): void {
    this.#server.ref();
  }

  unref(): void {
    this.#server.unref();
  }

  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }
}

/** One server-side TLS connection over a `node:net` socket, as a `Deno.Conn`. */
class ReleasingTlsConn implements Deno.Conn {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  #socket: net.Socket;
  #tls: tls.TLSSocket;
  #chunks: Uint8Array[] = [];
  #unreadBytes = 0;
  #ended = false;
  #error: Error | undefined;
  #closed = false;
  #secure = false;
  #wake: (() => void) | undefined;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  #writable: WritableStream<Uint8Array<ArrayBufferLike>> | undefined;

  constructor(socket: net.Socket, context: tls.SecureContext) {
    this.#socket = socket;
    this.localAddr = netAddr(socket.localAddress, socket.localPort);
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort);
    this.#tls = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
    this.#tls.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#unreadBytes += chunk.byteLength;
      if (this.#unreadBytes >= READ_HIGH_WATER_BYTES) this.#tls.pause();
      this.#wakeReader();
    });
    this.#tls.once("secure", () => this.#secure = true);
    this.#tls.on("end", () => this.#finish(undefined));
    this.#tls.on("close", () => this.#finish(undefined));
    this.#tls.on("error", (error: Error) => this.#finish(error));
    // The plain socket's errors reach the TLS socket too; this only keeps them handled.
    socket.on("error", () => {});
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#closed) throw new Deno.errors.BadResource("Connection is closed");
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const chunk = this.#chunks[0]!;
    const n = Math.min(p.byteLength, chunk.byteLength);
    p.set(chunk.subarray(0, n));
    if (n === chunk.byteLength) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    this.#unreadBytes -= n;
    if (this.#unreadBytes < READ_HIGH_WATER_BYTES && this.#tls.isPaused()) this.#tls.resume();
    return n;
  }

  /** Resolves once the socket has taken all of `p`, so the caller may reuse it. */
  write(p: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Connection is closed"));
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#tls.write(p, (error) => error ? reject(error) : resolve(p.byteLength));
    });
  }

  /**
   * Closes the connection. Before the handshake the socket is released at
   * once; after it, the peer is first told close_notify (so it reads a clean
   * end), within a bounded grace.
   */
  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("Connection is closed");
    this.#closed = true;
    this.#chunks = [];
    this.#unreadBytes = 0;
    this.#wakeReader();
    if (!this.#secure || this.#ended) {
      this.#destroy();
      return;
    }
    const timer = setTimeout(() => this.#destroy(), CLOSE_NOTIFY_GRACE_MS);
    Deno.unrefTimer(timer);
    this.#tls.once("close", () => clearTimeout(timer));
    this.#tls.end();
  }

  #destroy(): void {
    this.#tls.destroy();
    this.#socket.destroy();
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#tls.end(() => resolve()));
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        const buffer = new Uint8Array(READ_HIGH_WATER_BYTES);
        const n = await this.read(buffer);
        if (n === null) controller.close();
        else controller.enqueue(buffer.subarray(0, n));
      },
      cancel: () => this[Symbol.dispose](),
    });
  }

  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    return this.#writable ??= new WritableStream<Uint8Array<ArrayBufferLike>>({
      write: (chunk) => writeAll(this, chunk),
      close: () => this[Symbol.dispose](),
      abort: () => this[Symbol.dispose](),
    });
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }

  #finish(error: Error | undefined): void {
    this.#error ??= error;
    this.#ended = true;
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

function netAddr(hostname: string | undefined, port: number | undefined): Deno.NetAddr {
  return { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
}
