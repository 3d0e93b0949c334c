/**
 * Fixtures of the transfer tests: random files, a catalog over a few shared
 * files, seeders started in-process on 127.0.0.1 port 0, and download tickets
 * signed with a test cluster key those seeders trust.
 */
import {
  hashFile,
  type Seeder,
  type ShareCatalog,
  type SharedFile,
  startSeeder,
} from "../client/transfer/mod.ts";
import type { Manifest } from "../protocol/manifest.ts";
import { writeAll } from "../protocol/conn_io.ts";
import {
  encodeHaveRequest,
  MAX_REPLY_BODY_BYTES,
  type PeerFrame,
} from "../protocol/peer_frames.ts";
import { FrameDecoder } from "../protocol/peer_frame_decoder.ts";
import { deriveClusterKey } from "../protocol/cluster_key.ts";
import { signTicket } from "../protocol/ticket.ts";

/** The group test catalogs share their files in. */
export const TEST_GROUP = "g";
/** The cluster key test tickets are signed with. */
/** The cluster secret of trackers whose tickets these seeders take. */
export const TEST_SECRET = "transfer-test-secret";
export const TEST_KEY = deriveClusterKey(TEST_SECRET);
/** The `clusterKey` option of test seeders: they trust {@link TEST_KEY}. */
export const testClusterKey = (): string => TEST_KEY.publicKey;

/**
 * A download ticket for `manifest`'s file, signed with {@link TEST_KEY}.
 * @param options the group (default {@link TEST_GROUP}), user, lifetime (default 1 minute)
 * @returns the ticket, base64url
 */
export function ticketFor(
  manifest: Manifest,
  options: { group?: string; user?: string; lifetimeMs?: number } = {},
): string {
  return signTicket(TEST_KEY, {
    user: options.user ?? "tester",
    group: options.group ?? TEST_GROUP,
    fileHash: manifest.fileHash,
    notAfterMs: Date.now() + (options.lifetimeMs ?? 60_000),
  });
}

/** A test file on disk and its manifest. */
export interface TestFile {
  path: string;
  bytes: Uint8Array;
  manifest: Manifest;
}

/**
 * Writes `size` pseudo-random bytes (seeded, so runs repeat) and hashes them.
 * @returns the file, its bytes and its manifest
 */
export async function makeTestFile(
  dir: string,
  name: string,
  size: number,
  pieceSize: number,
  seed = size + 1,
): Promise<TestFile> {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  const path = `${dir}/${name}`;
  await Deno.writeFile(path, bytes);
  return { path, bytes, manifest: await hashFile(path, pieceSize) };
}

/**
 * A catalog serving `files`; `hasPiece` may be narrowed per test.
 * @returns the catalog
 */
export function catalogOf(
  files: { path: string; manifest: Manifest }[],
  hasPiece: (index: number) => boolean = () => true,
): ShareCatalog {
  const byHash = new Map<string, SharedFile>();
  for (const f of files) byHash.set(f.manifest.fileHash, { ...f, groups: [TEST_GROUP], hasPiece });
  return { lookup: (hash) => byHash.get(hash) };
}

/**
 * Starts `count` seeders on the same catalog.
 * @returns the seeders (close them all with {@link closeAll})
 */
export async function startSeeders(count: number, catalog: ShareCatalog): Promise<Seeder[]> {
  const seeders: Seeder[] = [];
  for (let i = 0; i < count; i++) {
    seeders.push(await startSeeder({ catalog, clusterKey: testClusterKey }));
  }
  return seeders;
}

/** Closes every seeder. */
export async function closeAll(seeders: Seeder[]): Promise<void> {
  await Promise.all(seeders.map((s) => s.close()));
}

/**
 * Tells whether a path exists.
 * @returns true when it does
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Sends bytes on a fresh connection and reads `count` frames, or until the seeder closes. */
/** Options of {@link exchange}. */
export interface ExchangeOptions {
  /** Close our sending side after the bytes. @default false */
  halfClose?: boolean;
  /** "ask" probes whether the connection is open; "wait" waits for it to end by itself. @default "ask" */
  probe?: "ask" | "wait";
  /** Dial with TLS, trusting only this seeder certificate (PEM). @default plain TCP */
  peerCert?: string;
}

/** The request id of the have_request that checks whether a connection is still open. */
const PROBE_ID = 999;
/** How long a probe may go unanswered before the connection is reported open. */
const HANG_GUARD_MS = 10_000;

export async function exchange(
  addr: string,
  bytes: Uint8Array,
  count: number,
  options: ExchangeOptions = {},
): Promise<{ frames: PeerFrame[]; closed: boolean }> {
  const { halfClose = false, probe: check = "ask", peerCert } = options;
  const [hostname, port] = addr.split(":");
  const conn = peerCert === undefined
    ? await Deno.connect({ hostname: hostname!, port: Number(port) })
    : await Deno.connectTls({ hostname: hostname!, port: Number(port), caCerts: [peerCert] });
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
    // With "wait", nothing is asked: the connection must end by itself.
    if (!halfClose && check === "ask") {
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

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

export function errorOf(frame: PeerFrame | undefined): [number, string] | undefined {
  return frame?.type === "error" ? [frame.reqId, frame.code] : undefined;
}
