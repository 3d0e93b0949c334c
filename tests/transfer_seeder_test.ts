/**
 * Hostile and malformed input thrown at a real seeder over real sockets: it
 * answers with error frames (or closes on broken framing), never serves
 * outside its catalog, and keeps serving well-behaved peers.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { writeAll } from "../protocol/conn_io.ts";
import {
  encodeCancel,
  encodeHavePiece,
  encodeHello,
  encodePiece,
  encodeRequest,
  encodeTicket,
} from "../protocol/peer_frames.ts";
import { PeerConn, startSeeder } from "../client/transfer/mod.ts";
import { tempDir } from "./harness.ts";
import {
  catalogOf,
  concat,
  errorOf,
  exchange,
  makeTestFile,
  testClusterKey,
  ticketFor,
} from "./transfer_fixtures.ts";
import { ticketBytes } from "../protocol/ticket.ts";

const PIECE = 4096;

const HELLO = encodeHello();
const enc = new TextEncoder();

Deno.test("startSeeder() answers hostile frames with error frames and still serves a good peer", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "shared", 3 * PIECE + 10, PIECE);
  const hash = file.manifest.fileHash;
  await using seeder = await startSeeder({
    catalog: catalogOf([file], (i) => i !== 2),
    clusterKey: testClusterKey,
  });
  const { addr } = seeder;
  // A downloader's opening: hello, then a valid ticket for the shared file.
  const OPEN = concat(HELLO, encodeTicket(ticketBytes(ticketFor(file.manifest))));

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

  // A file id that spells a path is another file than the ticket's: refused, closed.
  const pathId = new Uint8Array(32);
  pathId.set(enc.encode("../../../../../../etc/passwd"));
  const pathRequest = encodeRequest(6, "00".repeat(32), 0);
  pathRequest.set(pathId, 9);
  const byPath = await exchange(addr, concat(OPEN, pathRequest), 2);
  assertEquals([errorOf(byPath.frames[1]), byPath.closed], [[0, "FORBIDDEN"], true]);

  // Well-framed bad requests: an error frame each, and the connection stays.
  const malformed = Uint8Array.of(0, 0, 0, 5, 2, 0, 0, 0, 7);
  const bad = await exchange(
    addr,
    concat(
      OPEN,
      encodeRequest(2, hash, 0xffffffff), // "negative" / out of range index
      encodeRequest(3, hash, 4), // one past the last piece
      encodeRequest(4, hash, 2), // a piece not held
      encodePiece(5, 0, Uint8Array.of(1, 2, 3)), // a frame type seeders do not accept
      malformed, // a request cut short
      encodeRequest(8, hash, 3), // and then a good one
    ),
    7,
  );
  assertEquals(bad.frames.slice(1, 6).map(errorOf), [
    [2, "BAD_REQUEST"],
    [3, "BAD_REQUEST"],
    [4, "NOT_FOUND"],
    [5, "BAD_REQUEST"],
    [7, "BAD_REQUEST"],
  ]);
  const last = bad.frames[6];
  assert(last?.type === "piece" && last.reqId === 8);
  assertEquals(last.data, file.bytes.subarray(3 * PIECE));
  assertEquals(bad.closed, false);

  // Truncated frame, then the write side closed: no reply, connection closed.
  const truncated = await exchange(
    addr,
    concat(OPEN, encodeRequest(1, hash, 0).subarray(0, 20)),
    2,
    { halfClose: true },
  );
  assertEquals([truncated.frames.map((f) => f.type), truncated.closed], [["hello"], true]);
  // Requests then a half-close: every one is still answered.
  const halfClosed = await exchange(
    addr,
    concat(OPEN, encodeRequest(1, hash, 0), encodeRequest(2, hash, 1)),
    3,
    { halfClose: true },
  );
  assertEquals(halfClosed.frames.map((f) => f.type), ["hello", "piece", "piece"]);

  const good = await PeerConn.connect(addr, 2000, { ticket: ticketFor(file.manifest) });
  try {
    const piece = await good.requestPiece(hash, 1, 2000);
    assertEquals(piece.data, file.bytes.subarray(PIECE, 2 * PIECE));
    const have = await good.requestHave(hash, 2000);
    assertEquals([have.pieceCount, have.bits[0]], [4, 0b11010000]);
  } finally {
    good.close();
    await good.closed;
  }
  assert(seeder.stats().errorsSent >= 11);
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
  await using seeder = await startSeeder({
    catalog: catalogOf([]),
    clusterKey: testClusterKey,
    maxConnections: 1,
  });
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

Deno.test("startSeeder() leaves a withdrawn request unanswered, shrugs off stray cancels and pushed haves", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "shared", 4 * PIECE, PIECE);
  const hash = file.manifest.fileHash;
  // Capped so that the first piece's pacing holds the queue while the cancel arrives.
  await using seeder = await startSeeder({
    catalog: catalogOf([file]),
    clusterKey: testClusterKey,
    uploadBytesPerSec: PIECE / 2,
  });
  const OPEN = concat(HELLO, encodeTicket(ticketBytes(ticketFor(file.manifest))));
  const strays = Array.from({ length: 200 }, (_, i) => encodeCancel(1000 + i));
  const { frames, closed } = await exchange(
    seeder.addr,
    concat(
      OPEN,
      encodeRequest(1, hash, 0),
      encodeRequest(2, hash, 1),
      encodeCancel(2), // withdrawn while piece 0 is paced
      ...strays, // ids never asked: ignored
      encodeHavePiece(3), // a frame only peers send to downloaders
      encodeRequest(3, hash, 2),
    ),
    4,
  );
  const pieces = frames.filter((f) => f.type === "piece").map((f) => f.reqId);
  assertEquals(pieces, [1, 3], "request 2 was never answered");
  assertEquals(frames.filter((f) => f.type === "error").map(errorOf), [[0, "BAD_REQUEST"]]);
  assertEquals(closed, false);
  // Before a ticket a cancel is just a frame a seeder does not take.
  const early = await exchange(seeder.addr, concat(HELLO, encodeCancel(5)), 2);
  assertEquals(errorOf(early.frames[1]), [5, "BAD_REQUEST"]);
});
