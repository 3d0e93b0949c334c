/**
 * Sending a peer the saved snapshot when it lacks ops the log no longer
 * holds, and taking one in. The sender reads the snapshot from disk a page at
 * a time and sends it in parts of about REPLICATION_BATCH_BYTES, each manifest
 * line followed by a `pieces` line with its piece hashes; if a newer snapshot
 * is saved meanwhile it starts again from part 0. The receiver builds the
 * state line by line and merges it when the last part arrives.
 */
import { Buffer } from "node:buffer";
import { AppError } from "../protocol/errors.ts";
import { REPLICATION_BATCH_BYTES } from "./config.ts";
import type { DialedLink } from "./link_dialer.ts";
import type { Replica } from "./replica.ts";
import { SnapshotBuilder } from "./state_snapshot.ts";
import { type VersionVector, vvFromObject } from "./storage.ts";

const PAGE_ROWS = 16;
const PIECES_PREFIX = '["pieces",';
const MANIFEST_PREFIX = '["manifest",';
/** Most restarts of one transfer because newer snapshots were saved meanwhile. */
const MAX_RESTARTS = 5;

/**
 * Sends the saved snapshot to a peer.
 * @returns the peer's committed version vector once it merged the snapshot
 */
export async function shipSnapshot(
  link: DialedLink,
  replica: Replica,
  timeoutMs: number,
): Promise<VersionVector> {
  for (let attempt = 0; attempt < MAX_RESTARTS; attempt++) {
    const identity = replica.store.snapshotPage(-1, 0).versionVector;
    const versionVector = JSON.parse(identity) as Record<string, number>;
    let after = -1;
    let part = 0;
    let lines: string[] = [];
    let bytes = 0;
    while (true) {
      const page = replica.store.snapshotPage(after, PAGE_ROWS);
      if (page.versionVector !== identity) break; // a newer snapshot: start again
      after += page.rows;
      for (const line of page.lines) {
        for (const next of withPieces(line, replica)) {
          lines.push(next);
          bytes += next.length;
        }
        if (bytes < REPLICATION_BATCH_BYTES) continue;
        await link.sendSnapshotPart({ part: part++, lines, done: false, versionVector }, timeoutMs);
        [lines, bytes] = [[], 0];
      }
      if (page.rows < PAGE_ROWS) {
        const sent = { part, lines, done: true, versionVector };
        return await link.sendSnapshotPart(sent, timeoutMs);
      }
    }
  }
  throw new AppError("UNAVAILABLE", "The snapshot kept changing while it was being sent");
}

function withPieces(line: string, replica: Replica): string[] {
  if (!line.startsWith(MANIFEST_PREFIX)) return [line];
  const key = (JSON.parse(line) as [string, string])[1];
  const packed = replica.store.readPieces(key);
  if (packed === undefined) return [line];
  return [line, JSON.stringify(["pieces", key, Buffer.from(packed).toString("hex")])];
}

/** A snapshot being received from one peer, part by part. */
export class SnapshotIntake {
  #builder: SnapshotBuilder | undefined;
  #nextPart = 0;

  /**
   * Takes one part; on the last one, merges the snapshot into the replica.
   * @returns how many lines were taken
   * @throws {AppError} BAD_REQUEST for a part out of order, a bad line or pieces that do not match their key
   */
  take(
    replica: Replica,
    fromPeer: number,
    part: { part: number; lines: string[]; done: boolean; versionVector: Record<string, number> },
  ): number {
    if (part.part === 0) [this.#builder, this.#nextPart] = [new SnapshotBuilder(), 0];
    const builder = this.#builder;
    if (builder === undefined || part.part !== this.#nextPart) {
      this.#builder = undefined;
      throw new AppError("BAD_REQUEST", `Snapshot part ${part.part} is out of order`);
    }
    this.#nextPart++;
    try {
      for (const line of part.lines) {
        if (line.startsWith(PIECES_PREFIX)) takePieces(replica, line);
        else builder.add(line);
      }
      if (!part.done) return part.lines.length;
      this.#builder = undefined;
      const state = builder.finish();
      replica.installSnapshot(state, vvFromObject(part.versionVector), fromPeer);
      return part.lines.length;
    } catch (error) {
      this.#builder = undefined;
      throw error;
    }
  }
}

function takePieces(replica: Replica, line: string): void {
  const record = JSON.parse(line) as unknown[];
  const [, key, hex] = record;
  const ok = typeof key === "string" && typeof hex === "string" && /^[0-9a-f]*$/.test(hex) &&
    hex.length % 64 === 0 && replica.store.putPieces(key, Buffer.from(hex, "hex"));
  if (!ok) throw new AppError("BAD_REQUEST", "Snapshot piece hashes do not match their key");
}
