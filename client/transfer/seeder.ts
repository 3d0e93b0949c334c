/**
 * The seeder: serves pieces of the files in its catalog over the peer
 * protocol (protocol/peer_frames.ts). A peer names a file only by its content
 * hash and a piece by its index; the seeder looks both up in its catalog and
 * never opens a path a peer chose. Each connection is served one request at a
 * time; its frames are read and judged as they arrive and wait in a small
 * bounded inbox, so a peer holds at most one read buffer, that inbox and one
 * piece of our memory however fast it sends. Broken framing (an oversized or empty frame)
 * gets an error frame and the connection is closed; a well-framed bad request
 * gets an error frame and the connection stays.
 *
 * Nothing is served without a download ticket (protocol/ticket.ts), checked
 * by ticket_gate.ts against the cluster key this client learnt at login, with
 * no call to a tracker. A connection then gets only the ticket's file, in the ticket's
 * group, until the ticket expires (a fresher ticket may replace it). A request
 * without a valid ticket, or beyond what it grants, gets one connection-level
 * UNAUTHORIZED or FORBIDDEN error frame and the connection is closed.
 */
import { AppError } from "../../protocol/errors.ts";
import type { ConnActivity } from "../../protocol/conn_watch.ts";
import { ReadBuffer } from "../../protocol/read_buffer.ts";
import { formatAddr, writeAll } from "../../protocol/conn_io.ts";
import { acceptConnections } from "../../protocol/accept_loop.ts";
import { sleep } from "../../protocol/sleep.ts";
import { listenConn, type TlsIdentity } from "../../protocol/tls.ts";
import { pieceLength } from "../../protocol/manifest.ts";
import {
  encodeError,
  encodeHave,
  encodeHavePiece,
  encodeHello,
  makeBitfield,
  MAX_REQUEST_BODY_BYTES,
  type PeerFrame,
} from "../../protocol/peer_frames.ts";
import { FrameDecoder } from "../../protocol/peer_frame_decoder.ts";
import { defaultTransferConfig } from "./config.ts";
import { PieceReader } from "./piece_reader.ts";
import { FrameInbox } from "./frame_inbox.ts";
import { TicketGate } from "./ticket_gate.ts";
import type { ShareCatalog, SharedFile } from "./catalog_types.ts";

export type { ShareCatalog, SharedFile } from "./catalog_types.ts";
import { createBucket, takeTokens, type TokenBucket } from "./rate_limit.ts";

/** Options of {@link startSeeder}. */
export interface SeederOptions {
  /** Listen host. @default "127.0.0.1" */
  hostname?: string;
  /** Listen port; 0 picks a free one. @default 0 */
  port?: number;
  catalog: ShareCatalog;
  /** Serve TLS with this certificate and key. @default undefined (plain TCP) */
  tls?: TlsIdentity | undefined;
  /**
   * The cluster's public key that tickets must be signed with, read at each
   * ticket; undefined (the client never logged in) refuses every ticket.
   */
  clusterKey: () => string | undefined;
  /** Connections served at once. @default SEEDER_MAX_CONNECTIONS (config.ts) */
  maxConnections?: number;
  /** Connections served at once from one address. @default SEEDER_MAX_CONNECTIONS_PER_SOURCE (config.ts) */
  maxPerSource?: number;
  /** A connection silent this long while not being answered is closed. @default SEEDER_IDLE_TIMEOUT_MS (config.ts) */
  idleTimeoutMs?: number;
  /**
   * A connection that has not shown a valid ticket this long after it opened is
   * closed, so strangers cannot hold the connection slots. @default 10000
   */
  ticketWaitMs?: number;
  /** Cap on what all connections together send, in bytes per second. @default no cap */
  uploadBytesPerSec?: number;
  /** Receives errors that are bugs, not peer mistakes. */
  onInternalError?: (error: unknown) => void;
}

/** Counters of what a seeder did. */
export interface SeederStats {
  connections: number;
  piecesServed: number;
  bytesServed: number;
  errorsSent: number;
}

/** A running seeder. */
export interface Seeder extends AsyncDisposable {
  /** Its listen address, host:port. */
  addr: string;
  stats(): SeederStats;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** A piece request is tens of bytes and a ticket a few hundred: an idle connection needs little. */
const IDLE_READ_BUFFER_BYTES = 2 * 1024;
const BUSY_READ_BUFFER_BYTES = 16 * 1024;
/** Frames a connection may have read and not yet had answered. */
const INBOX_FRAMES = 64;

/**
 * Starts a seeder.
 * @returns its handle, listening
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export async function startSeeder(options: SeederOptions): Promise<Seeder> {
  const listener = await listenConn({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    tls: options.tls,
  });
  const defaults = defaultTransferConfig();
  const maxConnections = options.maxConnections ?? defaults.seederMaxConnections;
  const stats: SeederStats = { connections: 0, piecesServed: 0, bytesServed: 0, errorsSent: 0 };
  // One bucket for the whole seeder: the limit is on its total upload.
  const bucket = options.uploadBytesPerSec
    ? createBucket(options.uploadBytesPerSec, Date.now())
    : undefined;
  const accepting = acceptConnections(listener, {
    maxConnections,
    maxPerSource: options.maxPerSource ?? defaults.seederMaxConnectionsPerSource,
    // The first valid message a seeder waits for is a ticket.
    firstMessageMs: options.ticketWaitMs ?? defaults.seederTicketWaitMs,
    idleMs: options.idleTimeoutMs ?? defaults.seederIdleTimeoutMs,
    serverName: "Seeder",
    refusal: (message) => encodeError(0, "UNAVAILABLE", message),
    serve: (conn, activity) => {
      stats.connections++;
      return servePeerConn(conn, options, stats, bucket, activity);
    },
  });
  const close = () => accepting.close();
  return {
    addr: formatAddr(listener.addr),
    stats: () => ({ ...stats }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** A frame read from a peer and its verdict, waiting for its turn to be answered. */
interface Admitted {
  frame: PeerFrame | null;
  /** The connection-level error to send, and then close, instead of answering. */
  refusal: AppError | null;
}

/**
 * Serves one connection until it closes. Never throws. One loop reads and
 * judges frames as they arrive (ticket_gate.ts), the other answers them in
 * order; the bounded inbox between them keeps what a peer can queue small.
 */
async function servePeerConn(
  conn: Deno.Conn,
  options: SeederOptions,
  stats: SeederStats,
  bucket: TokenBucket | undefined,
  activity: ConnActivity,
): Promise<void> {
  const session = new PeerSession(conn, options, stats, bucket);
  const inbox = new FrameInbox<Admitted>(INBOX_FRAMES);
  // Requests the peer withdrew before their turn: never answered.
  const withdrawn = session.withdrawn;
  const gate = new TicketGate(options);
  let reading: Promise<void> | undefined;
  try {
    (conn as Deno.TcpConn).setNoDelay?.(true);
    reading = readFrames(conn, gate, inbox, options, activity, withdrawn);
    for (let item = await inbox.next(); item !== undefined; item = await inbox.next()) {
      if (item.refusal !== null) {
        await session.sendError(0, item.refusal);
        break;
      }
      const done = activity.busy(); // a peer waiting for its piece is not silent
      try {
        await session.handle(item.frame!);
      } finally {
        done();
      }
    }
  } catch (error) {
    if (!isConnectionError(error)) options.onInternalError?.(error);
  } finally {
    inbox.abort();
    session.close();
    closeQuietly(conn);
    await reading;
  }
}

/** Reads frames, judges each and queues it, until the peer stops, breaks framing or is refused. */
async function readFrames(
  conn: Deno.Conn,
  gate: TicketGate,
  inbox: FrameInbox<Admitted>,
  options: SeederOptions,
  activity: ConnActivity,
  withdrawn: Set<number>,
): Promise<void> {
  const decoder = new FrameDecoder(MAX_REQUEST_BODY_BYTES);
  const buffer = new ReadBuffer(IDLE_READ_BUFFER_BYTES, BUSY_READ_BUFFER_BYTES);
  try {
    while (true) {
      const bytes = buffer.bytes;
      const n = await conn.read(bytes);
      if (n === null) return;
      activity.heard();
      let frames: PeerFrame[];
      try {
        frames = decoder.push(bytes.subarray(0, n));
      } catch (error) {
        if (error instanceof AppError) await inbox.push({ frame: null, refusal: error });
        return;
      }
      buffer.settle(n, false); // the decoder keeps a partial frame itself
      for (const frame of frames) {
        if (frame.type === "cancel" && gate.hasTicket) {
          if (withdrawn.size < INBOX_FRAMES) withdrawn.add(frame.reqId);
          continue;
        }
        const refusal = gate.admit(frame, Date.now());
        if (refusal === null && gate.hasTicket) activity.greeted();
        if (!(await inbox.push({ frame, refusal })) || refusal !== null) return;
      }
    }
  } catch (error) {
    if (!isConnectionError(error)) options.onInternalError?.(error);
  } finally {
    inbox.end();
  }
}

/** One connection's answering side: its open files and the upload pacing. */
class PeerSession {
  #conn: Deno.Conn;
  #options: SeederOptions;
  #stats: SeederStats;
  #reader = new PieceReader(defaultTransferConfig().seederOpenFilesPerConn);
  #greeted = false;
  #bucket: TokenBucket | undefined;
  /** Every write goes through this chain, so pushed haves never split a piece frame. */
  #writes: Promise<void> = Promise.resolve();
  #unwatch: (() => void) | undefined;
  /** Ids of requests withdrawn by a cancel frame and not reached yet. */
  readonly withdrawn = new Set<number>();

  constructor(
    conn: Deno.Conn,
    options: SeederOptions,
    stats: SeederStats,
    bucket: TokenBucket | undefined,
  ) {
    this.#conn = conn;
    this.#options = options;
    this.#stats = stats;
    this.#bucket = bucket;
  }

  /** Answers one admitted frame; the one place where a request's errors become error frames. */
  async handle(frame: PeerFrame): Promise<void> {
    if (frame.type === "hello" && !this.#greeted) {
      this.#greeted = true; // the gate let it in first: answer it in kind
      return await this.#write(encodeHello());
    }
    if (frame.type === "ticket") return;
    if (frame.type === "request" && this.withdrawn.delete(frame.reqId)) return;
    const sentBefore = this.#stats.bytesServed;
    try {
      const write = (bytes: Uint8Array) => this.#write(bytes);
      await answer(write, frame, this.#options.catalog, this.#reader, this.#stats);
      if (frame.type === "have_request") this.#watch(frame.fileHash);
      await this.#pace(this.#stats.bytesServed - sentBefore);
    } catch (error) {
      if (isConnectionError(error)) throw error;
      if (!(error instanceof AppError)) this.#options.onInternalError?.(error);
      const reply = error instanceof AppError ? error : new AppError("INTERNAL", "Internal error");
      await this.sendError("reqId" in frame ? frame.reqId : 0, reply);
    }
  }

  #write(bytes: Uint8Array): Promise<void> {
    const next = this.#writes.then(() => writeAll(this.#conn, bytes));
    this.#writes = next.catch(() => {});
    return next;
  }

  /** A peer that asked what we hold of a file in progress hears of each new piece. */
  #watch(fileHash: string): void {
    if (this.#unwatch !== undefined) return;
    this.#unwatch = this.#options.catalog.watchPieces?.(fileHash, (index) => {
      this.#write(encodeHavePiece(index)).catch(() => {});
    });
  }

  /** Waits as long as the upload limit asks after sending `bytes`. */
  async #pace(bytes: number): Promise<void> {
    if (this.#bucket === undefined || bytes === 0) return;
    const waitMs = takeTokens(this.#bucket, bytes, Date.now());
    if (waitMs > 0) await sleep(waitMs);
  }

  /** Sends an error frame. */
  sendError(reqId: number, error: AppError): Promise<void> {
    this.#stats.errorsSent++;
    return this.#write(encodeError(reqId, error.code, error.message));
  }

  close(): void {
    this.#unwatch?.();
    this.#reader.close();
  }
}

function isConnectionError(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected || error instanceof Deno.errors.ConnectionAborted;
}

/** Answers one frame after the hello; throws AppError for a bad request. */
async function answer(
  write: (bytes: Uint8Array) => Promise<void>,
  frame: PeerFrame,
  catalog: ShareCatalog,
  reader: PieceReader,
  stats: SeederStats,
): Promise<void> {
  switch (frame.type) {
    case "request": {
      const shared = sharedFile(catalog, frame.fileHash);
      const { manifest } = shared;
      if (frame.index >= manifest.pieceHashes.length) {
        throw new AppError(
          "BAD_REQUEST",
          `Piece ${frame.index} is out of range: the file has ${manifest.pieceHashes.length}`,
        );
      }
      if (!shared.hasPiece(frame.index)) {
        throw new AppError("NOT_FOUND", `Piece ${frame.index} is not held here`);
      }
      const length = pieceLength(manifest, frame.index);
      const bytes = await reader.readFrame(shared, frame.reqId, frame.index, length);
      await write(bytes);
      stats.piecesServed++;
      stats.bytesServed += length;
      return;
    }
    case "have_request": {
      const shared = sharedFile(catalog, frame.fileHash);
      const count = shared.manifest.pieceHashes.length;
      const bits = makeBitfield(count, (i) => shared.hasPiece(i));
      return await write(encodeHave(frame.reqId, count, bits));
    }
    case "invalid":
      throw new AppError("BAD_REQUEST", frame.message);
    default:
      throw new AppError("BAD_REQUEST", `A seeder does not accept ${frame.type} frames`);
  }
}

function sharedFile(catalog: ShareCatalog, fileHash: string): SharedFile {
  const shared = catalog.lookup(fileHash);
  if (shared === undefined) throw new AppError("NOT_FOUND", `File ${fileHash} is not shared here`);
  return shared;
}
