/**
 * The peer wire protocol: binary, length-prefixed frames between a
 * downloader and a seeder. Pieces travel as raw bytes, never JSON or base64.
 *
 * A frame is a 4-byte big-endian body length, then the body: one type byte and
 * the fields of that type. Integers are big-endian u32; a file id is the raw
 * 32 bytes of its SHA-256. Each side opens with a hello that carries the magic
 * "P2PP" and the protocol version; a seeder answers another version with a
 * VERSION_MISMATCH error frame and closes. Requests carry an id chosen by the
 * downloader (1 or more), so several may be in flight on one connection; the
 * reply (piece, have or error) echoes it. Error frames with id 0 concern the
 * connection itself.
 *
 * ```
 * hello        01 "P2PP" version:u8
 * request      02 reqId:u32 fileHash:32 index:u32
 * piece        03 reqId:u32 index:u32 data...
 * error        04 reqId:u32 codeLength:u8 code message(utf-8)...
 * have_request 05 reqId:u32 fileHash:32
 * have         06 reqId:u32 pieceCount:u32 bitfield[ceil(pieceCount / 8)]
 * ticket       07 ticket... (protocol/ticket.ts)
 * cancel       08 reqId:u32
 * have_piece   09 index:u32
 * ```
 *
 * Version 2 added the ticket: a downloader sends one right after its hello,
 * and may send a fresher one later on the same connection; a seeder serves
 * nothing to a connection without a valid ticket, and only the ticket's file.
 *
 * Version 3 made leechers feed each other: a downloader withdraws a request
 * whose piece another peer delivered first (cancel: the seeder drops it if it
 * has not started sending it, and never answers it), and a peer that is itself
 * downloading pushes a have_piece for each piece it verifies to every
 * connection that asked for its bitfield, so they need not poll.
 *
 * The decoder (peer_frame_decoder.ts) reads the length first and refuses a
 * body longer than its limit before allocating anything, so a peer cannot
 * make it hold more than one frame of the size the reader allows.
 */
import { type ErrorCode, isErrorCode } from "./errors.ts";
import { MAX_PIECE_SIZE_BYTES, MAX_PIECES } from "./manifest.ts";
import { HEX64 } from "./validate.ts";
import { Buffer } from "node:buffer";
import { MAX_TICKET_BYTES } from "./ticket.ts";

/** The peer protocol version this code speaks. */
export const PEER_PROTOCOL_VERSION = 3;
/** Bytes of the length prefix. */
export const FRAME_PREFIX_BYTES = 4;
/** Bytes of a piece body before its data: type, request id, index. */
export const PIECE_BODY_HEADER_BYTES = 9;
/** Longest body a seeder accepts: every frame a downloader sends is small, a ticket the largest. */
export const MAX_REQUEST_BODY_BYTES = 1 + MAX_TICKET_BYTES;
/** Longest body a downloader accepts: the largest piece or bitfield. */
export const MAX_REPLY_BODY_BYTES = Math.max(
  PIECE_BODY_HEADER_BYTES + MAX_PIECE_SIZE_BYTES,
  9 + MAX_PIECES / 8,
);
/** Longest error message put on the wire, in bytes. */
export const MAX_ERROR_MESSAGE_BYTES = 512;

const MAGIC = [0x50, 0x32, 0x50, 0x50]; // "P2PP"
const TYPE = {
  hello: 1,
  request: 2,
  piece: 3,
  error: 4,
  have_request: 5,
  have: 6,
  ticket: 7,
  cancel: 8,
  have_piece: 9,
} as const;

/** Every frame the decoder yields; `invalid` is a well-framed body that does not parse. */
export type PeerFrame =
  | { type: "hello"; version: number }
  | { type: "request"; reqId: number; fileHash: string; index: number }
  | { type: "piece"; reqId: number; index: number; body: Uint8Array; data: Uint8Array }
  | { type: "error"; reqId: number; code: ErrorCode; message: string }
  | { type: "have_request"; reqId: number; fileHash: string }
  | { type: "have"; reqId: number; pieceCount: number; bits: Uint8Array }
  | { type: "ticket"; ticket: Uint8Array }
  | { type: "cancel"; reqId: number }
  | { type: "have_piece"; index: number }
  | { type: "invalid"; reqId: number; message: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function hashBytes(fileHash: string): Uint8Array {
  if (!HEX64.test(fileHash)) throw new TypeError("fileHash must be 64 lowercase hex");
  return Buffer.from(fileHash, "hex");
}

function frame(type: number, bodyLength: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(FRAME_PREFIX_BYTES + bodyLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, bodyLength);
  bytes[4] = type;
  return { bytes, view };
}

/**
 * Encodes the opening hello.
 * @param version the protocol version to announce (tests announce others)
 * @returns the frame bytes
 */
export function encodeHello(version: number = PEER_PROTOCOL_VERSION): Uint8Array {
  const { bytes } = frame(TYPE.hello, 6);
  bytes.set(MAGIC, 5);
  bytes[9] = version;
  return bytes;
}

/**
 * Encodes a download ticket frame.
 * @param ticket the ticket's raw bytes (see protocol/ticket.ts)
 * @returns the frame bytes
 */
export function encodeTicket(ticket: Uint8Array): Uint8Array {
  const { bytes } = frame(TYPE.ticket, 1 + ticket.length);
  bytes.set(ticket, 5);
  return bytes;
}

/**
 * Encodes a piece request.
 * @returns the frame bytes
 * @throws {TypeError} when `fileHash` is not 64 lowercase hex
 */
export function encodeRequest(reqId: number, fileHash: string, index: number): Uint8Array {
  const { bytes, view } = frame(TYPE.request, 41);
  view.setUint32(5, reqId);
  bytes.set(hashBytes(fileHash), 9);
  view.setUint32(41, index);
  return bytes;
}

/**
 * Encodes the withdrawal of a piece request.
 * @returns the frame bytes
 */
export function encodeCancel(reqId: number): Uint8Array {
  const { view, bytes } = frame(TYPE.cancel, 5);
  view.setUint32(5, reqId);
  return bytes;
}

/**
 * Encodes the news that one more piece is held (pushed, not a reply).
 * @returns the frame bytes
 */
export function encodeHavePiece(index: number): Uint8Array {
  const { view, bytes } = frame(TYPE.have_piece, 5);
  view.setUint32(5, index);
  return bytes;
}

/**
 * Encodes a request for the bitfield of pieces a peer holds.
 * @returns the frame bytes
 */
export function encodeHaveRequest(reqId: number, fileHash: string): Uint8Array {
  const { bytes, view } = frame(TYPE.have_request, 37);
  view.setUint32(5, reqId);
  bytes.set(hashBytes(fileHash), 9);
  return bytes;
}

/**
 * Writes the prefix and header of a piece frame into `target[0..13)`, so the
 * caller can read the piece straight into `target` after it and send it whole.
 * @returns the header length (13)
 */
export function writePieceHeader(
  target: Uint8Array,
  reqId: number,
  index: number,
  dataLength: number,
): number {
  const view = new DataView(target.buffer, target.byteOffset, 13);
  view.setUint32(0, PIECE_BODY_HEADER_BYTES + dataLength);
  target[4] = TYPE.piece;
  view.setUint32(5, reqId);
  view.setUint32(9, index);
  return FRAME_PREFIX_BYTES + PIECE_BODY_HEADER_BYTES;
}

/**
 * Encodes a whole piece frame (a copy; seeders use {@link writePieceHeader}).
 * @returns the frame bytes
 */
export function encodePiece(reqId: number, index: number, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(FRAME_PREFIX_BYTES + PIECE_BODY_HEADER_BYTES + data.length);
  writePieceHeader(bytes, reqId, index, data.length);
  bytes.set(data, 13);
  return bytes;
}

/**
 * Encodes an error reply; the message is cut to {@link MAX_ERROR_MESSAGE_BYTES}.
 * @param reqId the request it answers, or 0 for the connection
 * @returns the frame bytes
 */
export function encodeError(reqId: number, code: ErrorCode, message: string): Uint8Array {
  const codeBytes = encoder.encode(code);
  const text = encoder.encode(message).subarray(0, MAX_ERROR_MESSAGE_BYTES);
  const { bytes, view } = frame(TYPE.error, 6 + codeBytes.length + text.length);
  view.setUint32(5, reqId);
  bytes[9] = codeBytes.length;
  bytes.set(codeBytes, 10);
  bytes.set(text, 10 + codeBytes.length);
  return bytes;
}

/**
 * Encodes a bitfield reply.
 * @param bits bit i (most significant bit first) set when piece i is held
 * @returns the frame bytes
 */
export function encodeHave(reqId: number, pieceCount: number, bits: Uint8Array): Uint8Array {
  const { bytes, view } = frame(TYPE.have, 9 + bits.length);
  view.setUint32(5, reqId);
  view.setUint32(9, pieceCount);
  bytes.set(bits, 13);
  return bytes;
}

/**
 * Builds a bitfield of `count` pieces.
 * @returns bytes with bit i set when `has(i)`
 */
export function makeBitfield(count: number, has: (index: number) => boolean): Uint8Array {
  const bits = new Uint8Array(Math.ceil(count / 8));
  for (let i = 0; i < count; i++) if (has(i)) bits[i >> 3]! |= 0x80 >> (i & 7);
  return bits;
}

/**
 * Tells whether bit `index` is set.
 * @returns true when piece `index` is marked held
 */
export function bitfieldHas(bits: Uint8Array, index: number): boolean {
  return ((bits[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0;
}

/**
 * Parses one frame body (without its length prefix). Never throws: a body
 * that does not parse becomes an `invalid` frame the caller answers.
 * @param body the whole body; piece data and bitfields are views into it
 * @returns the frame
 */
export function decodeBody(body: Uint8Array): PeerFrame {
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const type = body[0];
  const reqId = body.length >= 5 ? view.getUint32(1) : 0;
  const invalid = (message: string): PeerFrame => ({ type: "invalid", reqId, message });
  switch (type) {
    case TYPE.hello:
      if (body.length !== 6 || MAGIC.some((m, i) => body[1 + i] !== m)) {
        return invalid("Not a peer-protocol hello");
      }
      return { type: "hello", version: body[5]! };
    case TYPE.request:
      if (body.length !== 41) return invalid("A request frame has 41 bytes");
      return {
        type: "request",
        reqId,
        fileHash: hexOf(body.subarray(5, 37)),
        index: view.getUint32(37),
      };
    case TYPE.piece:
      if (body.length < 9) return invalid("A piece frame has at least 9 bytes");
      return { type: "piece", reqId, index: view.getUint32(5), body, data: body.subarray(9) };
    case TYPE.error:
      return decodeError(body, reqId) ?? invalid("Malformed error frame");
    case TYPE.have_request:
      if (body.length !== 37) return invalid("A have_request frame has 37 bytes");
      return { type: "have_request", reqId, fileHash: hexOf(body.subarray(5, 37)) };
    case TYPE.have: {
      const pieceCount = body.length >= 9 ? view.getUint32(5) : -1;
      if (pieceCount < 0 || body.length !== 9 + Math.ceil(pieceCount / 8)) {
        return invalid("Malformed have frame");
      }
      return { type: "have", reqId, pieceCount, bits: body.subarray(9) };
    }
    case TYPE.cancel:
      if (body.length !== 5) return invalid("A cancel frame has 5 bytes");
      return { type: "cancel", reqId };
    case TYPE.have_piece:
      if (body.length !== 5) return invalid("A have_piece frame has 5 bytes");
      return { type: "have_piece", index: view.getUint32(1) };
    case TYPE.ticket:
      if (body.length > MAX_REQUEST_BODY_BYTES) return invalid("A ticket frame is too long");
      return { type: "ticket", ticket: body.subarray(1) };
    default:
      return invalid(`Unknown frame type ${type ?? "(empty)"}`);
  }
}

function decodeError(body: Uint8Array, reqId: number): PeerFrame | undefined {
  if (body.length < 6) return undefined;
  const codeLength = body[5]!;
  if (6 + codeLength > body.length) return undefined;
  const code = decoder.decode(body.subarray(6, 6 + codeLength));
  return {
    type: "error",
    reqId,
    code: isErrorCode(code) ? code : "INTERNAL",
    message: decoder.decode(body.subarray(6 + codeLength)),
  };
}
