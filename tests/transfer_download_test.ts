/**
 * Downloads over real sockets from in-process seeders into real files.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  createWorkerPool,
  PeerConn,
  type Seeder,
  startDownload,
  startSeeder,
} from "../client/transfer/mod.ts";
import { bitfieldHas } from "../protocol/peer_frames.ts";
import { tempDir } from "./harness.ts";
import {
  catalogOf,
  closeAll,
  exists,
  makeTestFile,
  startSeeders,
  TEST_GROUP,
  testClusterKey,
  ticketFor,
} from "./transfer_fixtures.ts";

const PIECE = 16 * 1024;
const FAST = { pieceTimeoutMs: 3000, peerRefreshMs: 100, stallTimeoutMs: 5000 };

Deno.test("startDownload() fetches files of 0 B, 1 B, one piece, one piece + 1 and several pieces byte-identical", async (t) => {
  await using dir = await tempDir();
  await using pool = createWorkerPool(2);
  const sizes = [0, 1, PIECE, PIECE + 1, 5 * PIECE + 123];
  const files = await Promise.all(
    sizes.map((size) => makeTestFile(dir.path, `src-${size}`, size, PIECE)),
  );
  const seeders = await startSeeders(2, catalogOf(files));
  try {
    for (const file of files) {
      await t.step(`${file.bytes.length} bytes`, async () => {
        const destPath = `${dir.path}/dst-${file.bytes.length}`;
        const download = startDownload({
          manifest: file.manifest,
          ticket: ticketFor(file.manifest),
          peers: seeders.map((s) => s.addr),
          destPath,
          pool,
          ...FAST,
        });
        const result = await download.done;
        assertEquals([result.state, result.error], ["complete", undefined]);
        assertEquals(result.piecesDone, file.manifest.pieceHashes.length);
        assertEquals(await Deno.readFile(destPath), file.bytes);
        assertEquals(await exists(`${destPath}.part`), false);
        for (let i = 0; i < result.pieces; i++) assert(download.hasPiece(i));
      });
    }
  } finally {
    await closeAll(seeders);
  }
});

Deno.test("startDownload() uses all three seeders of a file: each connected, none dropped, every piece served", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 48 * PIECE + 7, PIECE);
  const seeders = await startSeeders(3, catalogOf([file]));
  // Started workers, so no peer gets a head start while the others' probes wait.
  await using pool = createWorkerPool(3);
  await pool.ready();
  try {
    const result = await startDownload({
      manifest: file.manifest,
      ticket: ticketFor(file.manifest),
      peers: seeders.map((s) => s.addr),
      destPath: `${dir.path}/dst`,
      pool,
      ...FAST,
    }).done;
    assertEquals(result.state, "complete");
    assertEquals(await Deno.readFile(`${dir.path}/dst`), file.bytes);
    // How the pieces split depends on each peer's measured speed; what is
    // certain is that every seeder was reached, kept, and that together they
    // served every piece at least once.
    const stats = seeders.map((s) => s.stats());
    assert(
      stats.every((s) => s.connections > 0),
      `connections per seeder: ${stats.map((s) => s.connections)}`,
    );
    const served = stats.reduce((sum, s) => sum + s.piecesServed, 0);
    assert(served >= 49, `pieces served in all: ${served}`);
    assertEquals(result.peers.map((p) => p.state), ["active", "active", "active"]);
    assertEquals(result.piecesDone, 49);
  } finally {
    await closeAll(seeders);
  }
});

Deno.test("startDownload() completes from the others when a seeder closes mid-download", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 64 * PIECE, PIECE);
  const steady = await startSeeders(2, catalogOf([file]));
  const full = catalogOf([file]);
  let lookups = 0;
  let victim: Seeder | undefined = undefined;
  let victimClosed: Promise<void> | undefined;
  let servedWhenClosed = -1;
  victim = await startSeeder({
    clusterKey: testClusterKey,
    catalog: {
      lookup(hash) {
        // Close at the first piece request (the seeder looks the file up twice a
        // request, to authorize and to serve; the first two are the probe).
        if (++lookups === 3) {
          victimClosed = victim!.close().then(() => {
            servedWhenClosed = victim!.stats().piecesServed;
          });
        }
        return full.lookup(hash);
      },
    },
  });
  await using pool = createWorkerPool(2);
  await pool.ready();
  try {
    const result = await startDownload({
      manifest: file.manifest,
      ticket: ticketFor(file.manifest),
      peers: [victim.addr, ...steady.map((s) => s.addr)],
      destPath: `${dir.path}/dst`,
      pool,
      ...FAST,
    }).done;
    assertEquals([result.state, result.error], ["complete", undefined]);
    assertEquals(await Deno.readFile(`${dir.path}/dst`), file.bytes);
    assert(victimClosed !== undefined, "the victim seeder was closed mid-download");
    await victimClosed;
    // Nothing came from the victim after it closed; the others served the rest.
    assertEquals(victim.stats().piecesServed, servedWhenClosed);
    const steadyServed = steady.reduce((sum, s) => sum + s.stats().piecesServed, 0);
    assert(steadyServed >= 64 - servedWhenClosed, `steady seeders served ${steadyServed}`);
  } finally {
    await victimClosed;
    await closeAll([victim, ...steady]);
  }
});

Deno.test("startDownload() catches corrupt pieces by hash, refetches them elsewhere and bans the bad peer once", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 32 * PIECE, PIECE);
  const corruptPath = `${dir.path}/corrupt`;
  await Deno.writeFile(corruptPath, file.bytes.map((b, i) => (i % 1000 === 7 ? b ^ 0xff : b)));
  // The good peer holds the even pieces at first, so the odd ones must be tried on the bad one.
  let goodHoldsAll = false;
  const good = await startSeeder({
    clusterKey: testClusterKey,
    catalog: catalogOf([file], (i) => goodHoldsAll || i % 2 === 0),
  });
  const bad = await startSeeder({
    clusterKey: testClusterKey,
    catalog: catalogOf([{ path: corruptPath, manifest: file.manifest }]),
  });
  try {
    const bans: string[] = [];
    const download = startDownload({
      manifest: file.manifest,
      ticket: ticketFor(file.manifest),
      peers: [bad.addr, good.addr],
      destPath: `${dir.path}/dst`,
      workers: 2,
      ...FAST,
      onPeerBanned: (addr, reason) => bans.push(`${addr} ${reason}`),
    });
    const badState = () => download.progress().peers.find((p) => p.addr === bad.addr)?.state;
    const deadline = Date.now() + 5000;
    while (badState() !== "banned" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(badState(), "banned");
    goodHoldsAll = true; // found by the next refresh of what the good peer holds
    const result = await download.done;
    assertEquals([result.state, result.error], ["complete", undefined]);
    assertEquals(await Deno.readFile(`${dir.path}/dst`), file.bytes);
    assert(bad.stats().piecesServed >= 3, "the bad peer was asked");
    const badPeer = result.peers.find((p) => p.addr === bad.addr)!;
    assertEquals([badPeer.state, badPeer.reason, badPeer.bytes], [
      "banned",
      "banned: 3 corrupt pieces",
      0,
    ]);
    assertEquals(bans, [`${bad.addr} banned: 3 corrupt pieces`], "the user is told once");
  } finally {
    await closeAll([good, bad]);
  }
});

Deno.test("startDownload() bans a peer that serves only corrupt data, waits, and gives up after giveUpAfterMs leaving no file", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 8 * PIECE, PIECE);
  const corruptPath = `${dir.path}/corrupt`;
  await Deno.writeFile(corruptPath, file.bytes.map((b) => b ^ 1));
  const bad = await startSeeder({
    clusterKey: testClusterKey,
    catalog: catalogOf([{ path: corruptPath, manifest: file.manifest }]),
  });
  try {
    const result = await startDownload({
      manifest: file.manifest,
      ticket: ticketFor(file.manifest),
      peers: [bad.addr],
      destPath: `${dir.path}/dst`,
      workers: 1,
      ...FAST,
      maxTries: 10,
      giveUpAfterMs: 300,
    }).done;
    assertEquals(result.state, "failed");
    assertEquals(result.error, "Gave up: no peer had a needed piece for 0.3 s");
    assertEquals(result.peers.map((p) => [p.addr, p.state]), [[bad.addr, "banned"]]);
    assertEquals(await exists(`${dir.path}/dst`), false);
  } finally {
    await bad.close();
  }
});

Deno.test("startDownload() waits when no peer can be reached, and gives up only after giveUpAfterMs", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 3 * PIECE, PIECE);
  const gone = await startSeeder({ clusterKey: testClusterKey, catalog: catalogOf([]) });
  await gone.close();
  const result = await startDownload({
    manifest: file.manifest,
    ticket: ticketFor(file.manifest),
    peers: [gone.addr],
    destPath: `${dir.path}/dst`,
    workers: 1,
    ...FAST,
    giveUpAfterMs: 500,
  }).done;
  assertEquals(result.state, "failed");
  assertEquals(result.peers.map((p) => p.state), ["unreachable"]);
  assertEquals(await exists(`${dir.path}/dst`), false);
});

Deno.test("startDownload() resumes a cancelled download and re-fetches only what was missing", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 20 * PIECE + 5, PIECE);
  const destPath = `${dir.path}/dst`;
  // A partial seeder holds pieces 0..7, so the first run stops there.
  const partial = await startSeeder({
    clusterKey: testClusterKey,
    catalog: catalogOf([file], (i) => i < 8),
  });
  try {
    const first = startDownload({
      manifest: file.manifest,
      ticket: ticketFor(file.manifest),
      peers: [partial.addr],
      destPath,
      workers: 2,
      ...FAST,
    });
    const deadline = Date.now() + 5000;
    while (first.progress().piecesDone < 8 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(first.progress().piecesDone, 8);
    await first.cancel();
    const stopped = await first.done;
    assertEquals([stopped.state, stopped.error], ["failed", "Download cancelled"]);
    assertEquals(await exists(destPath), false);
    assert(await exists(`${destPath}.part`));
  } finally {
    await partial.close();
  }
  const full = await startSeeder({ clusterKey: testClusterKey, catalog: catalogOf([file]) });
  try {
    const second = await startDownload({
      manifest: file.manifest,
      ticket: ticketFor(file.manifest),
      peers: [full.addr],
      destPath,
      workers: 2,
      ...FAST,
    }).done;
    assertEquals(second.state, "complete");
    assertEquals(second.piecesResumed, 8);
    assertEquals(full.stats().piecesServed, 21 - 8);
    assertEquals(await Deno.readFile(destPath), file.bytes);
  } finally {
    await full.close();
  }
});

Deno.test("a seeder serves the verified pieces of a download in progress from its .part", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 12 * PIECE, PIECE);
  const destPath = `${dir.path}/dst`;
  const partial = await startSeeder({
    clusterKey: testClusterKey,
    catalog: catalogOf([file], (i) => i < 5),
  });
  const download = startDownload({
    manifest: file.manifest,
    ticket: ticketFor(file.manifest),
    peers: [partial.addr],
    destPath,
    workers: 1,
    ...FAST,
  });
  const relay = await startSeeder({
    clusterKey: testClusterKey,
    catalog: {
      lookup: (hash) =>
        hash === file.manifest.fileHash
          ? {
            path: `${destPath}.part`,
            manifest: file.manifest,
            groups: [TEST_GROUP],
            hasPiece: download.hasPiece,
          }
          : undefined,
    },
  });
  const conn = await PeerConn.connect(relay.addr, 2000, { ticket: ticketFor(file.manifest) });
  try {
    const deadline = Date.now() + 5000;
    while (download.progress().piecesDone < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const have = await conn.requestHave(file.manifest.fileHash, 2000);
    assertEquals(
      Array.from({ length: 12 }, (_, i) => bitfieldHas(have.bits, i)),
      Array.from({ length: 12 }, (_, i) => i < 5),
    );
    const piece = await conn.requestPiece(file.manifest.fileHash, 3, 2000);
    assertEquals(piece.data, file.bytes.subarray(3 * PIECE, 4 * PIECE));
    const missing = await conn.requestPiece(file.manifest.fileHash, 9, 2000).then(
      () => null,
      (e) => e,
    );
    assertEquals(missing?.code, "NOT_FOUND");
  } finally {
    conn.close();
    await conn.closed;
    await download.cancel();
    await closeAll([partial, relay]);
  }
});

Deno.test("two downloads share one worker pool at the same time", async () => {
  await using dir = await tempDir();
  const a = await makeTestFile(dir.path, "a", 20 * PIECE + 3, PIECE);
  const b = await makeTestFile(dir.path, "b", 9 * PIECE, PIECE / 2);
  const seeders = await startSeeders(2, catalogOf([a, b]));
  await using pool = createWorkerPool(2);
  try {
    const peers = seeders.map((s) => s.addr);
    const [ra, rb] = await Promise.all([
      startDownload({
        manifest: a.manifest,
        ticket: ticketFor(a.manifest),
        peers,
        destPath: `${dir.path}/a.out`,
        pool,
        ...FAST,
      })
        .done,
      startDownload({
        manifest: b.manifest,
        ticket: ticketFor(b.manifest),
        peers,
        destPath: `${dir.path}/b.out`,
        pool,
        ...FAST,
      })
        .done,
    ]);
    assertEquals([ra.state, rb.state], ["complete", "complete"]);
    assertEquals(await Deno.readFile(`${dir.path}/a.out`), a.bytes);
    assertEquals(await Deno.readFile(`${dir.path}/b.out`), b.bytes);
  } finally {
    await closeAll(seeders);
  }
});
