/**
 * Download tickets at a real seeder over real sockets: every connection
 * without a valid ticket for the file and group it asks for gets one error
 * frame and not a byte of the file; a ticket holds until it expires, a fresher
 * one sent on the same connection carries on, and a download renews its
 * ticket while it runs.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { clusterKeyFromSeed } from "../protocol/cluster_key.ts";
import { AppError } from "../protocol/errors.ts";
import {
  encodeHaveRequest,
  encodeHello,
  encodeRequest,
  encodeTicket,
} from "../protocol/peer_frames.ts";
import { signTicket, ticketBytes } from "../protocol/ticket.ts";
import { PeerConn, startDownload, startSeeder } from "../client/transfer/mod.ts";
import { tempDir } from "./harness.ts";
import {
  catalogOf,
  concat,
  errorOf,
  exchange,
  makeTestFile,
  TEST_GROUP,
  testClusterKey,
  ticketFor,
} from "./transfer_fixtures.ts";

const PIECE = 16 * 1024;
const HELLO = encodeHello();
const ticketFrame = (ticket: string) => encodeTicket(ticketBytes(ticket));

Deno.test("startSeeder() sends no byte without a valid ticket for the file and group asked for", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "shared", 3 * PIECE, PIECE);
  const other = await makeTestFile(dir.path, "other", 2 * PIECE, PIECE, 99);
  await using seeder = await startSeeder({
    catalog: catalogOf([file, other]),
    clusterKey: testClusterKey,
  });
  const hash = file.manifest.fileHash;
  const forger = clusterKeyFromSeed(new Uint8Array(32).fill(1));
  const forged = signTicket(forger, {
    user: "mallory",
    group: TEST_GROUP,
    fileHash: hash,
    notAfterMs: Date.now() + 60_000,
  });
  const valid = ticketBytes(ticketFor(file.manifest));
  const tampered = valid.slice();
  tampered[1]! ^= 0xff; // the expiry, pushed far out
  const request = concat(encodeRequest(1, hash, 0), encodeHaveRequest(2, hash));
  const cases: [string, Uint8Array, string][] = [
    ["stranger without a ticket", concat(HELLO, request), "UNAUTHORIZED"],
    [
      "expired ticket",
      concat(HELLO, ticketFrame(ticketFor(file.manifest, { lifetimeMs: -1 })), request),
      "UNAUTHORIZED",
    ],
    ["forged ticket", concat(HELLO, ticketFrame(forged), request), "UNAUTHORIZED"],
    ["tampered ticket", concat(HELLO, encodeTicket(tampered), request), "UNAUTHORIZED"],
    [
      "garbage ticket",
      concat(HELLO, encodeTicket(new Uint8Array(100).fill(1)), request),
      "UNAUTHORIZED",
    ],
    [
      "other file's ticket",
      concat(HELLO, ticketFrame(ticketFor(other.manifest)), request),
      "FORBIDDEN",
    ],
    [
      "other group's ticket",
      concat(HELLO, ticketFrame(ticketFor(file.manifest, { group: "g2" })), request),
      "FORBIDDEN",
    ],
    [
      "old protocol version",
      concat(encodeHello(1), ticketFrame(ticketFor(file.manifest)), request),
      "VERSION_MISMATCH",
    ],
  ];
  for (const [name, bytes, code] of cases) {
    const { frames, closed } = await exchange(seeder.addr, bytes, 3);
    const replies = frames.filter((f) => f.type !== "hello");
    assertEquals(replies.map(errorOf), [[0, code]], name);
    assert(closed, `${name}: the connection is closed`);
  }
  assertEquals(seeder.stats().piecesServed, 0);
  assertEquals(seeder.stats().bytesServed, 0);
});

Deno.test("startSeeder() whose client has no cluster key (never logged in) serves nobody", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "shared", PIECE, PIECE);
  await using seeder = await startSeeder({
    catalog: catalogOf([file]),
    clusterKey: () => undefined,
  });
  const opening = concat(HELLO, ticketFrame(ticketFor(file.manifest)));
  const { frames, closed } = await exchange(
    seeder.addr,
    concat(opening, encodeRequest(1, file.manifest.fileHash, 0)),
    3,
  );
  assertEquals(frames.filter((f) => f.type !== "hello").map(errorOf), [[0, "UNAUTHORIZED"]]);
  assert(closed);
  assertEquals(seeder.stats().piecesServed, 0);
});

Deno.test("a ticket serves its connection until it expires; a fresher one sent on it carries on", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "shared", 4 * PIECE, PIECE);
  await using seeder = await startSeeder({
    catalog: catalogOf([file]),
    clusterKey: testClusterKey,
  });
  const hash = file.manifest.fileHash;
  const lifetimeMs = 300;
  const renewed = await PeerConn.connect(seeder.addr, 2000, {
    ticket: ticketFor(file.manifest, { lifetimeMs }),
  });
  const lapsed = await PeerConn.connect(seeder.addr, 2000, {
    ticket: ticketFor(file.manifest, { lifetimeMs }),
  });
  try {
    assertEquals((await renewed.requestPiece(hash, 0, 2000)).data, file.bytes.subarray(0, PIECE));
    assertEquals((await lapsed.requestPiece(hash, 0, 2000)).data, file.bytes.subarray(0, PIECE));
    await renewed.sendTicket(ticketFor(file.manifest));
    await new Promise((r) => setTimeout(r, lifetimeMs + 100));
    const piece = await renewed.requestPiece(hash, 1, 2000);
    assertEquals(piece.data, file.bytes.subarray(PIECE, 2 * PIECE));
    const refused = await lapsed.requestPiece(hash, 1, 2000).then(() => null, (e) => e);
    assert(refused instanceof AppError);
    assertEquals(refused.code, "UNAUTHORIZED");
    assert(lapsed.isClosed);
    assertEquals(seeder.stats().piecesServed, 3);
  } finally {
    for (const conn of [renewed, lapsed]) {
      conn.close();
      await conn.closed;
    }
  }
});

Deno.test("startDownload() renews its ticket mid-download and stops when the tracker refuses one", async (t) => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 40 * PIECE, PIECE);
  const lifetimeMs = 1000;
  // Capped seeders make the download outlast one ticket: 640 KiB at 2 x 128 KiB/s, less
  // the first second that each seeder's full bucket sends at once, is 1.5 s.
  const seeders = [
    await startSeeder({
      catalog: catalogOf([file]),
      clusterKey: testClusterKey,
      uploadBytesPerSec: 128 * 1024,
    }),
    await startSeeder({
      catalog: catalogOf([file]),
      clusterKey: testClusterKey,
      uploadBytesPerSec: 128 * 1024,
    }),
  ];
  const peers = seeders.map((s) => s.addr);
  try {
    await t.step("renewed while a member", async () => {
      let renewals = 0;
      const startMs = Date.now();
      const result = await startDownload({
        manifest: file.manifest,
        peers,
        ticket: ticketFor(file.manifest, { lifetimeMs }),
        renewTicket: () => {
          renewals++;
          return Promise.resolve(ticketFor(file.manifest, { lifetimeMs }));
        },
        destPath: `${dir.path}/dst`,
        workers: 2,
        stallTimeoutMs: 10_000,
      }).done;
      assertEquals([result.state, result.error], ["complete", undefined]);
      assertEquals(await Deno.readFile(`${dir.path}/dst`), file.bytes);
      assert(Date.now() - startMs > lifetimeMs, "the download outlived its first ticket");
      assert(renewals >= 1, `renewals: ${renewals}`);
      assert(result.peers.every((p) => p.bytes > 0), "both seeders served");
    });
    await t.step("refused once no longer a member", async () => {
      const result = await startDownload({
        manifest: file.manifest,
        peers,
        ticket: ticketFor(file.manifest, { lifetimeMs }),
        renewTicket: () =>
          Promise.reject(new AppError("FORBIDDEN", 'Cannot download "src": not a member')),
        destPath: `${dir.path}/dst2`,
        workers: 2,
      }).done;
      assertEquals(result.state, "failed");
      assert(/refused a new download ticket/.test(result.error ?? ""), result.error);
    });
  } finally {
    await Promise.all(seeders.map((s) => s.close()));
  }
});

Deno.test("startSeeder() closes a connection that shows no valid ticket in time, and keeps one that does", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "shared", PIECE, PIECE);
  await using seeder = await startSeeder({
    catalog: catalogOf([file]),
    clusterKey: testClusterKey,
    ticketWaitMs: 200,
  });
  // Asked nothing more, the idle connection must end by itself.
  const idle = await exchange(seeder.addr, HELLO, 1, { probe: "wait" });
  assertEquals([idle.frames.map((f) => f.type), idle.closed], [["hello"], true]);
  const member = await exchange(
    seeder.addr,
    concat(HELLO, ticketFrame(ticketFor(file.manifest))),
    1,
  );
  assertEquals([member.frames.map((f) => f.type), member.closed], [["hello"], false]);
});
