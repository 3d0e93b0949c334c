/**
 * The seeder: serves pieces of the files in its catalog over the peer
 * protocol (protocol/peer_frames.ts). A peer names a file only by its content
 * hash and a piece by its index; the seeder looks both up in its catalog and
 * never opens a path a peer chose. Each connection is served one request at a
 * time, and the next bytes are read only after the frames already read are
 * answered, so a peer holds at most one read buffer and one piece of our
 * memory however fast it sends. Broken framing (an oversized or empty frame)
 * gets an error frame and the connection is closed; a well-framed bad request
 * gets an error frame and the connection stays.
 *
 * Nothing is served without a download ticket (protocol/ticket.ts), checked
 * here against the cluster key this client learnt at login, with no call to
 * a tracker. A connection then gets only the ticket's file, in the ticket's
 * group, until the ticket expires (a fresher ticket may replace it). A request
 * without a valid ticket, or beyond what it grants, gets one connection-level
 * UNAUTHORIZED or FORBIDDEN error frame and the connection is closed.
 */
import { AppError } from "../../protocol/errors.ts";
import { formatAddr, writeAll } from "../../protocol/conn_io.ts";
import { pieceLength } from "../../protocol/manifest.ts";
import {
  encodeError,
  encodeHave,
  encodeHello,
  makeBitfield,
  MAX_REQUEST_BODY_BYTES,
  PEER_PROTOCOL_VERSION,
  type PeerFrame,
} from "../../protocol/peer_frames.ts";
import { type TicketClaims, verifyTicket } from "../../protocol/ticket.ts";
import { FrameDecoder } from "../../protocol/peer_frame_decoder.ts";
import { defaultTransferConfig } from "./config.ts";
import { PieceReader } from "./piece_reader.ts";
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
  /**
   * The cluster's public key that tickets must be signed with, read at each
   * ticket; undefined (the client never logged in) refuses every ticket.
   */
  clusterKey: () => string | undefined;
  /** Connections served at once. @default 256 */
  maxConnections?: number;
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

const READ_BUFFER_BYTES = 16 * 1024;

/**
 * Starts a seeder.
 * @returns its handle, listening
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export function startSeeder(options: SeederOptions): Promise<Seeder> {
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
  });
  const maxConnections = options.maxConnections ?? defaultTransferConfig().seederMaxConnections;
  const stats: SeederStats = { connections: 0, piecesServed: 0, bytesServed: 0, errorsSent: 0 };
  const conns = new Map<Deno.Conn, Promise<void>>();
  // One bucket for the whole seeder: the limit is on its total upload.
  const bucket = options.uploadBytesPerSec
    ? createBucket(options.uploadBytesPerSec, Date.now())
    : undefined;
  const acceptLoop = (async () => {
    try {
      for await (const conn of listener) {
        if (conns.size >= maxConnections) {
          conn.close();
          continue;
        }
        stats.connections++;
        const served = servePeerConn(conn, options, stats, bucket).finally(() =>
          conns.delete(conn)
        );
        conns.set(conn, served);
      }
    } catch {
      // The listener was closed.
    }
  })();
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      listener.close();
      await acceptLoop;
      for (const conn of conns.keys()) closeQuietly(conn);
      await Promise.all(conns.values());
    })();
  return Promise.resolve({
    addr: formatAddr(listener.addr),
    stats: () => ({ ...stats }),
    close,
    [Symbol.asyncDispose]: close,
  });
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Serves one connection until it closes. Never throws. */
async function servePeerConn(
  conn: Deno.Conn,
  options: SeederOptions,
  stats: SeederStats,
  bucket: TokenBucket | undefined,
): Promise<void> {
  const decoder = new FrameDecoder(MAX_REQUEST_BODY_BYTES);
  const session = new PeerSession(conn, options, stats, bucket);
  const buffer = new Uint8Array(READ_BUFFER_BYTES);
  try {
    (conn as Deno.TcpConn).setNoDelay?.(true);
    let open = true;
    while (open) {
      const n = await conn.read(buffer);
      if (n === null) break;
      let frames: PeerFrame[];
      try {
        frames = decoder.push(buffer.subarray(0, n));
      } catch (error) {
        if (error instanceof AppError) await session.sendError(0, error);
        break;
      }
      for (const frame of frames) {
        open = await session.handle(frame);
        if (!open) break;
      }
    }
  } catch (error) {
    if (!isConnectionError(error)) options.onInternalError?.(error);
  } finally {
    session.close();
    closeQuietly(conn);
  }
}

/** One connection's state: whether it said hello, and its open files. */
class PeerSession {
  #conn: Deno.Conn;
  #options: SeederOptions;
  #stats: SeederStats;
  #reader = new PieceReader(defaultTransferConfig().seederOpenFilesPerConn);
  #greeted = false;
  /** What this connection's ticket grants, once it showed a valid one. */
  #grant: TicketClaims | null = null;
  #bucket: TokenBucket | undefined;

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

  /**
   * Answers one frame; the one place where a request's errors become error frames.
   * @returns false when the connection must close
   */
  async handle(frame: PeerFrame): Promise<boolean> {
    if (!this.#greeted) {
      const refusal = checkHello(frame);
      if (refusal !== null) {
        await this.sendError(0, refusal);
        return false;
      }
      this.#greeted = true;
      await writeAll(this.#conn, encodeHello());
      return true;
    }
    if (frame.type === "ticket") return await this.#acceptTicket(frame.ticket);
    const refusal = this.#authorize(frame);
    if (refusal !== null) {
      await this.sendError(0, refusal);
      return false;
    }
    const reqId = frame.type === "hello" ? 0 : frame.reqId;
    const sentBefore = this.#stats.bytesServed;
    try {
      await answer(this.#conn, frame, this.#options.catalog, this.#reader, this.#stats);
      await this.#pace(this.#stats.bytesServed - sentBefore);
    } catch (error) {
      if (isConnectionError(error)) throw error;
      if (!(error instanceof AppError)) this.#options.onInternalError?.(error);
      const reply = error instanceof AppError ? error : new AppError("INTERNAL", "Internal error");
      await this.sendError(reqId, reply);
    }
    return true;
  }

  /** Checks a ticket and makes it this connection's grant; @returns false to close */
  async #acceptTicket(ticket: Uint8Array): Promise<boolean> {
    const check = verifyTicket(this.#options.clusterKey(), ticket, Date.now());
    if (!check.ok) {
      await this.sendError(0, new AppError("UNAUTHORIZED", check.message));
      return false;
    }
    this.#grant = check.claims;
    return true;
  }

  /** Why the connection's ticket does not cover `frame`, or null when it does. */
  #authorize(frame: PeerFrame): AppError | null {
    if (frame.type !== "request" && frame.type !== "have_request") return null;
    const grant = this.#grant;
    if (grant === null) {
      return new AppError("UNAUTHORIZED", "Send a download ticket before asking for pieces");
    }
    if (Date.now() > grant.notAfterMs) {
      return new AppError("UNAUTHORIZED", "The download ticket has expired");
    }
    if (frame.fileHash !== grant.fileHash) {
      return new AppError("FORBIDDEN", "The download ticket is for another file");
    }
    const shared = this.#options.catalog.lookup(frame.fileHash);
    if (shared !== undefined && !shared.groups.includes(grant.group)) {
      return new AppError("FORBIDDEN", `The file is not shared here in group "${grant.group}"`);
    }
    return null;
  }

  /** Waits as long as the upload limit asks after sending `bytes`. */
  async #pace(bytes: number): Promise<void> {
    if (this.#bucket === undefined || bytes === 0) return;
    const waitMs = takeTokens(this.#bucket, bytes, Date.now());
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  /** Sends an error frame. */
  sendError(reqId: number, error: AppError): Promise<void> {
    this.#stats.errorsSent++;
    return writeAll(this.#conn, encodeError(reqId, error.code, error.message));
  }

  close(): void {
    this.#reader.close();
  }
}

function isConnectionError(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected || error instanceof Deno.errors.ConnectionAborted;
}

function checkHello(frame: PeerFrame): AppError | null {
  if (frame.type !== "hello") {
    return new AppError("BAD_REQUEST", "Expected a peer-protocol hello first");
  }
  if (frame.version !== PEER_PROTOCOL_VERSION) {
    return new AppError(
      "VERSION_MISMATCH",
      `Peer protocol version ${frame.version} is not supported; this seeder speaks ${PEER_PROTOCOL_VERSION}`,
    );
  }
  return null;
}

/** Answers one frame after the hello; throws AppError for a bad request. */
async function answer(
  conn: Deno.Conn,
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
      await writeAll(conn, bytes);
      stats.piecesServed++;
      stats.bytesServed += length;
      return;
    }
    case "have_request": {
      const shared = sharedFile(catalog, frame.fileHash);
      const count = shared.manifest.pieceHashes.length;
      const bits = makeBitfield(count, (i) => shared.hasPiece(i));
      return await writeAll(conn, encodeHave(frame.reqId, count, bits));
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
