/**
 * The end-game without waste: a download from two seeders pulls hardly more
 * than the file (a late piece's second copy is cancelled when the first one
 * arrives), and per-peer byte counts count only the pieces that were used.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { startDownload } from "../client/transfer/mod.ts";
import { tempDir } from "./harness.ts";
import { catalogOf, closeAll, makeTestFile, startSeeders, ticketFor } from "./transfer_fixtures.ts";

const MIB = 1024 * 1024;

Deno.test("startDownload() from two seeders pulls at most 2% more than a 20 MiB file, and counts only used bytes", async () => {
  await using dir = await tempDir();
  const file = await makeTestFile(dir.path, "src", 20 * MIB, 512 * 1024);
  const seeders = await startSeeders(2, catalogOf([file]));
  try {
    const result = await startDownload({
      manifest: file.manifest,
      ticket: ticketFor(file.manifest),
      peers: seeders.map((s) => s.addr),
      destPath: `${dir.path}/dst`,
      workers: 2,
    }).done;
    assertEquals([result.state, result.error], ["complete", undefined]);
    assertEquals(await Deno.readFile(`${dir.path}/dst`), file.bytes);
    const counted = result.peers.reduce((sum, p) => sum + p.bytes, 0);
    assertEquals(counted, file.bytes.length, JSON.stringify(result.peers));
    const served = seeders.reduce((sum, s) => sum + s.stats().bytesServed, 0);
    assert(
      served <= file.bytes.length * 1.02,
      `the seeders sent ${served} bytes for a file of ${file.bytes.length}`,
    );
    // Both were connected; how the pieces split between them is the picker's call under load.
    assertEquals(result.peers.map((p) => p.addr).sort(), seeders.map((s) => s.addr).sort());
  } finally {
    await closeAll(seeders);
  }
});
