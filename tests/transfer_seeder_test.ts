/**
 * Hostile and malformed input thrown at a real seeder over real sockets: it
 * answers with error frames (or closes on broken framing), never serves
 * outside its catalog, and keeps serving well-behaved peers.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { writeAll } from "../protocol/conn_io.ts";
import {
  encodeHaveRequest,
  encodeHello,
  encodePiece,
  encodeRequest,
  MAX_REPLY_BODY_BYTES,
  type PeerFrame,
} from "../protocol/peer_frames.ts";
import { FrameDecoder } from "../protocol/peer_frame_decoder.ts";
import { PeerConn, startSeeder } from "../client/transfer/mod.ts";
import { tempDir } from "./harness.ts";
import { catalogOf, makeTestFile } from "./transfer_fixtures.ts";

const PIECE = 4096;
/** The request id of the have_request that checks whether a connection is still open. */
const PROBE_ID = 999;
/** How long a probe may go unanswered before the connection is reported open. */
const HANG_GUARD_MS = 10_000;

/** Sends bytes on a fresh connection and reads `count` frames, or until the seeder closes. */
async function exchange(
  addr: string,
  bytes: Uint8Array,
  count: number,
  halfClose = false,
): Promise<{ frames: PeerFrame[]; closed: boolean }> {
  const [hostname, port] = addr.split(":");
  const conn = await Deno.connect({ hostname: hostname!, port: Number(port) });
  try {
    await writeAll(conn, bytes);
    if (halfClose) await conn.closeWrite();
    const decoder = new FrameDecoder(MAX_REPLY_BODY_BYTES);
    const frames: PeerFrame[] = [];
    const buffer = new Uint8Array(64 * 1024);
    while (frames.length < count) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return { frames, closed: true };
      frames.push(...decoder.push(buffer.subarray(0, n)));
    }
    // Open or closed? Ask once more (unless our side is closed): an open
    // connection answers, a closed one ends. The deadline only guards against
    // a hang, and what it reports ("open") fails every test that expects a close.
    if (!halfClose) {
      await writeAll(conn, encodeHaveRequest(PROBE_ID, "00".repeat(32))).catch(() => {});
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const probe = await Promise.race([
      nextFrameOrEnd(conn, decoder, buffer),
      new Promise<"open">((r) => timer = setTimeout(() => r("open"), HANG_GUARD_MS)),
    ]);
    clearTimeout(timer);
    return { frames, closed: probe === null };
  } finally {
    conn.close();
  }
}

/** Reads until the next frame (then "open") or the end of the connection (then null). */
async function nextFrameOrEnd(
  conn: Deno.Conn,
  decoder: FrameDecoder,
  buffer: Uint8Array,
): Promise<"open" | null> {
  while (true) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return null;
    if (decoder.push(buffer.subarray(0, n)).length > 0) return "open";
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

function errorOf(frame: PeerFrame | undefined): [number, string] | undefined {
  return frame?.type === "error" ? [frame.reqId, frame.code] : undefined;
}

const HELLO = encodeHello();
const enc = new TextEncoder();

Deno.test("startSeeder() answers hostile frames with error frames and still serves a good peer", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "shared", 3 * PIECE + 10, PIECE);
  const hash = file.manifest.fileHash;
  await using seeder = await startSeeder({ catalog: catalogOf([file], (i) => i !== 2) });
  const { addr } = seeder;

  // Broken framing or a wrong opening: one connection-level error, then closed
  // (frames in the same read as the break are not answered).
  const http = await exchange(addr, enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 1);
  assertEquals([errorOf(http.frames[0]), http.closed], [[0, "FRAME_TOO_LARGE"], true]);
  const huge = await exchange(addr, concat(HELLO, Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 2)), 2);
  assertEquals([errorOf(huge.frames.at(-1)), huge.closed], [[0, "FRAME_TOO_LARGE"], true]);
  const oldVersion = await exchange(addr, encodeHello(9), 1);
  assertEquals([errorOf(oldVersion.frames[0]), oldVersion.closed], [[0, "VERSION_MISMATCH"], true]);
  const noHello = await exchange(addr, encodeRequest(1, hash, 0), 1);
  assertEquals([errorOf(noHello.frames[0]), noHello.closed], [[0, "BAD_REQUEST"], true]);
  const empty = await exchange(addr, concat(HELLO, new Uint8Array(4)), 2);
  assertEquals([errorOf(empty.frames.at(-1)), empty.closed], [[0, "BAD_REQUEST"], true]);

  // Well-framed bad requests: an error frame each, and the connection stays.
  const pathId = new Uint8Array(32);
  pathId.set(enc.encode("../../../../../../etc/passwd"));
  const pathRequest = encodeRequest(6, "00".repeat(32), 0);
  pathRequest.set(pathId, 9);
  const malformed = Uint8Array.of(0, 0, 0, 5, 2, 0, 0, 0, 7);
  const bad = await exchange(
    addr,
    concat(
      HELLO,
      encodeRequest(1, "ee".repeat(32), 0), // unknown file
      encodeRequest(2, hash, 0xffffffff), // "negative" / out of range index
      encodeRequest(3, hash, 4), // one past the last piece
      encodeRequest(4, hash, 2), // a piece not held
      encodePiece(5, 0, Uint8Array.of(1, 2, 3)), // a frame type seeders do not accept
      pathRequest, // an id that spells a path
      malformed, // a request cut short
      encodeRequest(8, hash, 3), // and then a good one
    ),
    9,
  );
  assertEquals(bad.frames.slice(1, 8).map(errorOf), [
    [1, "NOT_FOUND"],
    [2, "BAD_REQUEST"],
    [3, "BAD_REQUEST"],
    [4, "NOT_FOUND"],
    [5, "BAD_REQUEST"],
    [6, "NOT_FOUND"],
    [7, "BAD_REQUEST"],
  ]);
  const last = bad.frames[8];
  assert(last?.type === "piece" && last.reqId === 8);
  assertEquals(last.data, file.bytes.subarray(3 * PIECE));
  assertEquals(bad.closed, false);

  // Truncated frame, then the write side closed: no reply, connection closed.
  const truncated = await exchange(
    addr,
    concat(HELLO, encodeRequest(1, hash, 0).subarray(0, 20)),
    2,
    true,
  );
  assertEquals([truncated.frames.map((f) => f.type), truncated.closed], [["hello"], true]);
  // Requests then a half-close: every one is still answered.
  const halfClosed = await exchange(
    addr,
    concat(HELLO, encodeRequest(1, hash, 0), encodeRequest(2, hash, 1)),
    3,
    true,
  );
  assertEquals(halfClosed.frames.map((f) => f.type), ["hello", "piece", "piece"]);

  const good = await PeerConn.connect(addr, 2000);
  try {
    const piece = await good.requestPiece(hash, 1, 2000);
    assertEquals(piece.data, file.bytes.subarray(PIECE, 2 * PIECE));
    const have = await good.requestHave(hash, 2000);
    assertEquals([have.pieceCount, have.bits[0]], [4, 0b11010000]);
  } finally {
    good.close();
    await good.closed;
  }
  assert(seeder.stats().errorsSent >= 12);
});

Deno.test("PeerConn.connect() is told VERSION_MISMATCH by a peer speaking another version", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    await writeAll(conn, encodeHello(7));
    await conn.read(new Uint8Array(64)).catch(() => null);
    conn.close();
  })();
  try {
    const { port } = listener.addr as Deno.NetAddr;
    const error = await PeerConn.connect(`127.0.0.1:${port}`, 2000).then(() => null, (e) => e);
    assertEquals(error?.code, "VERSION_MISMATCH");
  } finally {
    await serving;
    listener.close();
  }
});

Deno.test("startSeeder() answers a connection over its limit UNAVAILABLE and closes it", async () => {
  await using seeder = await startSeeder({ catalog: catalogOf([]), maxConnections: 1 });
  const [hostname, port] = seeder.addr.split(":");
  const first = await Deno.connect({ hostname: hostname!, port: Number(port) });
  try {
    await writeAll(first, HELLO);
    await first.read(new Uint8Array(64));
    const second = await exchange(seeder.addr, HELLO, 1);
    const refusal = second.frames[0];
    assertEquals(refusal?.type === "error" ? refusal.code : refusal?.type, "UNAVAILABLE");
    assertEquals(second.closed, true);
  } finally {
    first.close();
  }
});
