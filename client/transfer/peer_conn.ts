/**
 * The downloading side of one peer connection: a hello exchange, then
 * numbered requests with several in flight, replies matched by request id, a
 * timeout per request. Bodies of large frames are read straight into their
 * own buffer (see FrameDecoder.directTarget), so a piece arrives with one
 * kernel copy and its buffer can be transferred to another thread as is.
 * The download ticket goes right after the hello, and again whenever the
 * download renews it.
 */
import { AppError } from "../../protocol/errors.ts";
import { parseHostPort, SerialWriter } from "../../protocol/conn_io.ts";
import { connectConn } from "../../protocol/tls.ts";
import {
  encodeCancel,
  encodeHaveRequest,
  encodeHello,
  encodeRequest,
  encodeTicket,
  MAX_REPLY_BODY_BYTES,
  PEER_PROTOCOL_VERSION,
  type PeerFrame,
} from "../../protocol/peer_frames.ts";
import { FrameDecoder } from "../../protocol/peer_frame_decoder.ts";
import { ticketBytes } from "../../protocol/ticket.ts";

/** A received piece: `data` is a view into `body`, whose buffer is the frame's own. */
export interface PieceReply {
  body: Uint8Array;
  data: Uint8Array;
}

/** A peer's bitfield. */
export interface HaveReply {
  pieceCount: number;
  bits: Uint8Array;
}

type Reply = PieceReply | HaveReply;

/** Options of {@link PeerConn.connect}. */
export interface PeerConnOptions {
  /** The download ticket (base64url) to show after the hello; a seeder serves nothing without. */
  ticket?: string;
  /** Makes frame bodies (see FrameDecoder), for a reader that recycles buffers. */
  allocate?: (length: number) => Uint8Array;
  /** The seeder's own certificate (PEM): TLS trusting only it; plain TCP when absent. */
  peerCert?: string | undefined;
  /** Told of each piece the peer pushes that it now holds (a peer that is downloading too). */
  onHavePiece?: ((index: number) => void) | undefined;
}

interface Pending {
  resolve(reply: Reply): void;
  reject(error: AppError): void;
  timer: ReturnType<typeof setTimeout>;
}

const READ_BUFFER_BYTES = 64 * 1024;
const DIRECT_READ_MIN_BYTES = 16 * 1024;

/** One connection to a seeder. */
export class PeerConn {
  /** The peer's address. */
  readonly addr: string;
  #conn: Deno.Conn;
  #peerCert: string | undefined;
  #writer: SerialWriter;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #closedError: AppError | null = null;
  #hello: PromiseWithResolvers<void> = Promise.withResolvers();
  #allocate: ((length: number) => Uint8Array) | undefined;
  #ticket: string | undefined;
  #onHavePiece: ((index: number) => void) | undefined;
  /** Settles when the read loop has ended. */
  readonly closed: Promise<void>;

  private constructor(
    addr: string,
    conn: Deno.Conn,
    allocate: ((length: number) => Uint8Array) | undefined,
  ) {
    this.addr = addr;
    this.#conn = conn;
    this.#writer = new SerialWriter(conn);
    this.#allocate = allocate;
    this.closed = this.#readLoop();
  }

  /**
   * Connects and exchanges hellos.
   * @param addr the seeder's host:port
   * @param options the ticket to show, the seeder's own certificate (PEM: TLS
   *   trusting only it; plain TCP when absent), and how to allocate frame bodies
   * @returns the open connection
   * @throws {AppError} UNAVAILABLE when it cannot connect, TIMEOUT, VERSION_MISMATCH
   */
  static async connect(
    addr: string,
    timeoutMs: number,
    options: PeerConnOptions = {},
  ): Promise<PeerConn> {
    const { hostname, port } = parseHostPort(addr);
    let conn: Deno.Conn;
    try {
      const caCerts = options.peerCert === undefined ? undefined : [options.peerCert];
      conn = await connectConn({ hostname, port, caCerts, timeoutMs });
    } catch {
      throw new AppError("UNAVAILABLE", `Cannot connect to peer ${addr}`);
    }
    const peer = new PeerConn(addr, conn, options.allocate);
    peer.#peerCert = options.peerCert;
    peer.#onHavePiece = options.onHavePiece;
    const timer = setTimeout(
      () => peer.#fail(new AppError("TIMEOUT", `Peer ${addr} did not say hello`)),
      timeoutMs,
    );
    try {
      await peer.#writer.write(encodeHello());
      if (options.ticket !== undefined) await peer.sendTicket(options.ticket);
      await peer.#hello.promise;
      return peer;
    } catch (error) {
      peer.close();
      await peer.closed;
      throw peer.#closedError ?? error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The certificate this connection was made trusting; undefined for plain TCP. */
  get peerCert(): string | undefined {
    return this.#peerCert;
  }

  /** True once the connection has failed or been closed. */
  get isClosed(): boolean {
    return this.#closedError !== null;
  }

  /** The ticket last shown to the peer, if any. */
  get ticket(): string | undefined {
    return this.#ticket;
  }

  /**
   * Shows the peer a (fresher) download ticket; requests sent after it are covered by it.
   * @throws {AppError} UNAVAILABLE when the connection is gone
   */
  async sendTicket(ticket: string): Promise<void> {
    if (this.#closedError !== null) throw this.#closedError;
    this.#ticket = ticket;
    await this.#writer.write(encodeTicket(ticketBytes(ticket)));
  }

  /**
   * Asks for one piece.
   * @param signal withdraws the request (a cancel frame); it then rejects with UNAVAILABLE
   * @returns the piece frame's body and data
   * @throws {AppError} the peer's error code (NOT_FOUND when it lacks the piece), TIMEOUT,
   *   UNAVAILABLE when the connection went away or the request was withdrawn
   */
  requestPiece(
    fileHash: string,
    index: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<PieceReply> {
    return this.#request((id) => encodeRequest(id, fileHash, index), timeoutMs, signal) as Promise<
      PieceReply
    >;
  }

  /**
   * Asks which pieces of a file the peer holds.
   * @returns its bitfield
   * @throws {AppError} as {@link requestPiece}
   */
  requestHave(fileHash: string, timeoutMs: number): Promise<HaveReply> {
    return this.#request((id) => encodeHaveRequest(id, fileHash), timeoutMs) as Promise<
      HaveReply
    >;
  }

  /** Closes the connection; pending requests fail with UNAVAILABLE. */
  close(): void {
    this.#fail(new AppError("UNAVAILABLE", `Connection to peer ${this.addr} was closed`));
  }

  #request(
    encode: (id: number) => Uint8Array,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Reply> {
    if (this.#closedError !== null) return Promise.reject(this.#closedError);
    const id = this.#nextId++;
    if (this.#nextId > 0xffffffff) this.#nextId = 1;
    const { promise, resolve, reject } = Promise.withResolvers<Reply>();
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      reject(new AppError("TIMEOUT", `Peer ${this.addr} did not answer in ${timeoutMs} ms`));
    }, timeoutMs);
    this.#pending.set(id, { resolve, reject, timer });
    signal?.addEventListener("abort", () => {
      if (!this.#pending.delete(id)) return;
      clearTimeout(timer);
      reject(new AppError("UNAVAILABLE", `Request to peer ${this.addr} withdrawn`));
      if (this.#closedError === null) this.#writer.write(encodeCancel(id)).catch(() => {});
    }, { once: true });
    this.#writer.write(encode(id)).catch(() => {
      this.#fail(new AppError("UNAVAILABLE", `Peer ${this.addr} went away`));
    });
    return promise;
  }

  async #readLoop(): Promise<void> {
    const decoder = new FrameDecoder(MAX_REPLY_BODY_BYTES, this.#allocate);
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    try {
      while (this.#closedError === null) {
        const target = decoder.directTarget(DIRECT_READ_MIN_BYTES);
        const n = await this.#conn.read(target ?? buffer);
        if (n === null) break;
        const frames = target !== null
          ? decoder.commitDirect(n)
          : decoder.push(buffer.subarray(0, n));
        for (const frame of frames) this.#dispatch(frame);
      }
      this.#fail(new AppError("UNAVAILABLE", `Peer ${this.addr} closed the connection`));
    } catch (error) {
      this.#fail(
        error instanceof AppError && this.#closedError === null
          ? new AppError("UNAVAILABLE", `Peer ${this.addr} sent broken framing: ${error.message}`)
          : new AppError("UNAVAILABLE", `Peer ${this.addr} went away`),
      );
    }
  }

  #dispatch(frame: PeerFrame): void {
    if (frame.type === "hello") {
      if (frame.version !== PEER_PROTOCOL_VERSION) {
        this.#fail(
          new AppError("VERSION_MISMATCH", `Peer ${this.addr} speaks version ${frame.version}`),
        );
      }
      this.#hello.resolve();
      return;
    }
    if (frame.type === "have_piece") return this.#onHavePiece?.(frame.index);
    if (
      frame.type === "request" || frame.type === "have_request" || frame.type === "ticket" ||
      frame.type === "cancel"
    ) return;
    if (frame.reqId === 0 && frame.type === "error") {
      this.#fail(new AppError(frame.code, `Peer ${this.addr}: ${frame.message}`));
      return;
    }
    const pending = this.#pending.get(frame.reqId);
    if (pending === undefined) return; // late reply to a request that timed out
    this.#pending.delete(frame.reqId);
    clearTimeout(pending.timer);
    if (frame.type === "piece") pending.resolve({ body: frame.body, data: frame.data });
    else if (frame.type === "have") {
      pending.resolve({ pieceCount: frame.pieceCount, bits: frame.bits });
    } else if (frame.type === "error") {
      pending.reject(new AppError(frame.code, `Peer ${this.addr}: ${frame.message}`));
    } else pending.reject(new AppError("BAD_REQUEST", `Peer ${this.addr} sent ${frame.message}`));
  }

  #fail(error: AppError): void {
    if (this.#closedError !== null) return;
    this.#closedError = error;
    this.#hello.reject(error);
    this.#hello.promise.catch(() => {});
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}
