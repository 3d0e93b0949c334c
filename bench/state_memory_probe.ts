// deno-lint-ignore-file no-console -- a probe process: it prints its figure.
/**
 * Measures the tracker state's heap for COUNT entities of one KIND (users,
 * groups, files of 1 GiB), built from the ops trackers replicate. Run with
 * --v8-flags=--expose-gc; prints one JSON line.
 *
 * Usage: deno run --v8-flags=--expose-gc bench/state_memory_probe.ts KIND COUNT
 */
import { createHash } from "node:crypto";
import { PIECE_SIZE_BYTES, pieceSizeFor } from "../protocol/manifest.ts";
import { formatStamp } from "../tracker/hlc.ts";
import type { Op, OpBody } from "../tracker/ops.ts";
import { applyOp, createState } from "../tracker/state.ts";
import { compactState } from "../tracker/state_compaction.ts";

const GiB = 1024 ** 3;
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
// Synthetic piece hashes: the first differs per file, the rest are shared (they are hashed and
// packed per file all the same).
const SHARED_PIECES = Array.from({ length: GiB / PIECE_SIZE_BYTES }, (_, p) => sha(`piece ${p}`));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function bodies(kind: string, i: number): OpBody[] {
  const group = `group-${i}`;
  const epoch = formatStamp({ ms: 1_700_000_000_000, counter: i % 1000 }, 1);
  switch (kind) {
    case "users":
      return [{
        type: "create_user",
        user: `user-${i}`,
        salt: sha(`s${i}`).slice(0, 32),
        hash: sha(`${i}`),
      }];
    case "groups":
      return [{ type: "create_group", group, owner: `user-${i % 1000}` }];
    default: {
      const size = GiB;
      const pieceSize = pieceSizeFor(size);
      const count = size / pieceSize;
      const pieceHashes = [sha(`first piece of ${i}`), ...SHARED_PIECES.slice(1, count)];
      const fileHash = sha(`file ${i}`);
      const manifest = { fileHash, size, pieceSize, pieceHashes };
      return [{
        type: "share_file",
        group: "shared",
        epoch,
        name: `file-${i}`,
        user: `user-${i % 1000}`,
        addr: "127.0.0.1:9000",
        fileHash,
        manifest,
      }];
    }
  }
}

function main([kind = "users", countText = "100000"]: string[]): void {
  const count = Number(countText);
  const state = createState();
  gc();
  const before = Deno.memoryUsage().heapUsed;
  let seq = 0;
  for (let i = 0; i < count; i++) {
    for (const body of bodies(kind, i)) {
      seq++;
      const stamp = formatStamp({ ms: 1_700_000_000_000 + seq, counter: 0 }, 1);
      const op: Op = { origin: 1, seq, stamp, body };
      applyOp(state, op);
    }
  }
  compactState(state);
  gc();
  const bytes = Deno.memoryUsage().heapUsed - before;
  // The state is read after the measure, so it is alive through it.
  const held = state.users.size + state.groups.size + state.manifests.size;
  console.log(JSON.stringify({ kind, count, bytes, held }));
}

if (import.meta.main) main(Deno.args);
