import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { AppError } from "./errors.ts";
import {
  bitfieldHas,
  decodeBody,
  encodeCancel,
  encodeError,
  encodeHave,
  encodeHavePiece,
  encodeHaveRequest,
  encodeHello,
  encodePiece,
  encodeRequest,
  encodeTicket,
  FRAME_PREFIX_BYTES,
  makeBitfield,
  MAX_REPLY_BODY_BYTES,
  MAX_REQUEST_BODY_BYTES,
  PEER_PROTOCOL_VERSION,
  type PeerFrame,
} from "./peer_frames.ts";
import { FrameDecoder } from "./peer_frame_decoder.ts";

const HASH = "ab".repeat(32);

function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** Feeds bytes in chunks of random sizes. */
function decodeChunked(bytes: Uint8Array, max: number, rnd: () => number): PeerFrame[] {
  const decoder = new FrameDecoder(max);
  const frames: PeerFrame[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(rnd() * 40);
    frames.push(...decoder.push(bytes.subarray(at, at + n)));
    at += n;
  }
  return frames;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("FrameDecoder round-trips every frame type, split at any byte", () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const bits = makeBitfield(11, (i) => i % 3 === 0);
  const stream = concat([
    encodeHello(),
    encodeRequest(7, HASH, 42),
    encodePiece(7, 42, data),
    encodeError(8, "NOT_FOUND", "Piece 9 is not held here"),
    encodeHaveRequest(9, HASH),
    encodeHave(9, 11, bits),
    encodeTicket(Uint8Array.of(1, 2, 3)),
    encodeCancel(7),
    encodeHavePiece(0xfffffffe),
  ]);
  for (let seed = 1; seed <= 20; seed++) {
    const frames = decodeChunked(stream, MAX_REPLY_BODY_BYTES, random(seed));
    assertEquals(frames.map((f) => f.type), [
      "hello",
      "request",
      "piece",
      "error",
      "have_request",
      "have",
      "ticket",
      "cancel",
      "have_piece",
    ]);
    assertEquals(frames[0], { type: "hello", version: PEER_PROTOCOL_VERSION });
    assertEquals(frames[1], { type: "request", reqId: 7, fileHash: HASH, index: 42 });
    const piece = frames[2] as Extract<PeerFrame, { type: "piece" }>;
    assertEquals([piece.reqId, piece.index, piece.data], [7, 42, data]);
    assertEquals(frames[3], {
      type: "error",
      reqId: 8,
      code: "NOT_FOUND",
      message: "Piece 9 is not held here",
    });
    assertEquals(frames[4], { type: "have_request", reqId: 9, fileHash: HASH });
    const have = frames[5] as Extract<PeerFrame, { type: "have" }>;
    assertEquals(
      Array.from({ length: 11 }, (_, i) => bitfieldHas(have.bits, i)),
      Array.from({ length: 11 }, (_, i) => i % 3 === 0),
    );
    assertEquals(frames[6], { type: "ticket", ticket: Uint8Array.of(1, 2, 3) });
    assertEquals(frames[7], { type: "cancel", reqId: 7 });
    assertEquals(frames[8], { type: "have_piece", index: 0xfffffffe });
  }
});

Deno.test("FrameDecoder refuses an oversized frame before allocating it", () => {
  const decoder = new FrameDecoder(MAX_REQUEST_BODY_BYTES);
  const header = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
  assertThrows(
    () => decoder.push(header),
    (e) => e instanceof AppError && e.code === "FRAME_TOO_LARGE",
  );
  assert(decoder.heldBytes <= FRAME_PREFIX_BYTES);
  // The stream is broken for good: later bytes are refused too.
  assertThrows(() => decoder.push(encodeHello()), (e) => e instanceof AppError);
});

Deno.test("FrameDecoder refuses an empty frame", () => {
  assertThrows(
    () => new FrameDecoder(64).push(new Uint8Array(4)),
    (e) => e instanceof AppError && e.code === "BAD_REQUEST",
  );
});

/** Splits a byte stream into frames the slow, obvious way, for comparison. */
function referenceFrames(bytes: Uint8Array, limit: number): { frames: PeerFrame[]; code?: string } {
  const frames: PeerFrame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + FRAME_PREFIX_BYTES <= bytes.length) {
    const length = view.getUint32(at);
    if (length > limit) return { frames, code: "FRAME_TOO_LARGE" };
    if (length === 0) return { frames, code: "BAD_REQUEST" };
    if (at + FRAME_PREFIX_BYTES + length > bytes.length) break;
    frames.push(decodeBody(bytes.slice(at + FRAME_PREFIX_BYTES, at + FRAME_PREFIX_BYTES + length)));
    at += FRAME_PREFIX_BYTES + length;
  }
  return { frames };
}

/** Feeds `bytes` in chunks of `step`; returns the frames and the code of the error, if any. */
function decodeInChunks(bytes: Uint8Array, limit: number, step: number) {
  const decoder = new FrameDecoder(limit);
  const frames: PeerFrame[] = [];
  for (let at = 0; at < bytes.length; at += step) {
    try {
      frames.push(...decoder.push(bytes.subarray(at, at + step)));
    } catch (error) {
      assert(error instanceof AppError, `unexpected ${error}`);
      return { frames, code: error.code as string };
    }
    assert(decoder.heldBytes <= FRAME_PREFIX_BYTES + limit);
  }
  return { frames };
}

Deno.test("FrameDecoder on random bytes: the frames and the error code a plain reading gives, never an oversize buffer", () => {
  const limit = 64;
  const outcomes = new Set<string>();
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = random(seed * 7919);
    // Short frames most of the time, so bodies get decoded, not just refused.
    const parts: number[] = [];
    while (parts.length < 200) {
      const dice = rnd();
      const length = dice < 0.02 ? 0 : dice < 0.9 ? 1 + Math.floor(rnd() * 40) : rnd() * 2 ** 32;
      parts.push(length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
      const type = 1 + Math.floor(rnd() * 7);
      parts.push(type, ...Array.from({ length: Math.min(length, 40) - 1 }, () => rnd() * 256));
    }
    const bytes = Uint8Array.from(parts);
    const expected = referenceFrames(bytes, limit);
    outcomes.add(expected.code ?? "none");
    for (const frame of expected.frames) outcomes.add(frame.type);
    // Byte by byte, every frame before the error comes out.
    assertEquals(decodeInChunks(bytes, limit, 1), expected);
    // In larger chunks, the frames of the chunk that fails are lost with it.
    const chunked = decodeInChunks(bytes, limit, 7);
    assertEquals(chunked.code, expected.code);
    assertEquals(chunked.frames, expected.frames.slice(0, chunked.frames.length));
  }
  for (const outcome of ["FRAME_TOO_LARGE", "BAD_REQUEST", "piece", "invalid"]) {
    assert(outcomes.has(outcome), `no case reached ${outcome}: ${[...outcomes]}`);
  }
});

Deno.test("decodeBody() turns malformed bodies into invalid frames, never throws", () => {
  const cases: [string, number[]][] = [
    ["truncated request", [2, 0, 0, 0, 1, 9, 9]],
    ["hello without magic", [1, 0x41, 0x42, 0x43, 0x44, 1]],
    ["unknown type", [99, 0, 0, 0, 5]],
    ["short piece", [3, 0, 0]],
    ["error with overlong code length", [4, 0, 0, 0, 1, 200, 65]],
    ["have with wrong bitfield length", [6, 0, 0, 0, 1, 0, 0, 0, 20, 0xff]],
  ];
  for (const [name, bytes] of cases) {
    assertEquals(decodeBody(Uint8Array.from(bytes)).type, "invalid", name);
  }
  const unknownCode = decodeBody(
    encodeError(3, "NOT_FOUND", "x").subarray(4).map((b) => b === 0x4e ? 0x5a : b),
  );
  assertEquals(unknownCode.type === "error" && unknownCode.code, "INTERNAL");
});

Deno.test("directTarget() and commitDirect() fill a large body in place", () => {
  const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
  const frame = encodePiece(1, 3, data);
  const decoder = new FrameDecoder(MAX_REPLY_BODY_BYTES);
  assertEquals(decoder.push(frame.subarray(0, 100)), []);
  const target = decoder.directTarget(1024)!;
  target.set(frame.subarray(100));
  const frames = decoder.commitDirect(frame.length - 100);
  assertEquals(frames.length, 1);
  const piece = frames[0] as Extract<PeerFrame, { type: "piece" }>;
  assertEquals(piece.data, data);
  assertEquals(piece.body.byteOffset, 0);
});
