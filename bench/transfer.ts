/**
 * Transfer benchmark: a file of random bytes downloaded over loopback from one
 * and from three seeders, each seeder and the downloader in its own process.
 * Prints MiB/s (from startDownload to the verified, renamed file), the
 * downloader's peak RSS and CPU time, and the seeders' CPU time. Sizes in MiB
 * come from TRANSFER_BENCH_MIB (default "1024,256"), runs from
 * TRANSFER_BENCH_RUNS (default 3), the download's worker count from
 * TRANSFER_BENCH_WORKERS (default: the client's, one per core up to 8), and
 * requests in flight per worker from TRANSFER_BENCH_REQUESTS (default: the
 * client's, 24 in all). A last single run at TRANSFER_BENCH_LARGE_MIB (default
 * 4096, 0 skips it) shows whether peak memory grows with the file's size.
 * TRANSFER_BENCH_TLS picks the seeders' transport: "plain", "tls" (each seeder
 * with its own certificate, as clients run) or "both" (default), run side by
 * side so the cost of TLS shows in one table. Files go to a temporary
 * directory that is removed afterwards.
 *
 * When the reference BitTorrent tools are installed (bench/reference_runs.ts),
 * each round of runs is followed by the same download done by libtorrent, and
 * the table ends with our median over libtorrent's from this very run: wall
 * time drifts on a shared machine, so only a ratio measured side by side
 * means much. CPU seconds per GiB of the downloader are the steadier figure.
 * TRANSFER_BENCH_REFERENCE=0 skips the reference runs.
 */
import { randomFillSync } from "node:crypto";
import { writeAll } from "../protocol/conn_io.ts";
import { defaultWorkerCount, hashFile } from "../client/transfer/mod.ts";
import { type ProgramHandle, spawnProgram } from "../tests/harness.ts";
import { findLibtorrentAnchor, runLibtorrent } from "./reference_runs.ts";

const MIB = 1024 * 1024;
const ROOT = new URL("../", import.meta.url);

interface DownloadFigures {
  state: string;
  error?: string;
  ms: number;
  poolMs: number;
  peakRssBytes: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

/** Writes `bytes` random bytes to `path`, flushed to disk. */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  // Flushed now so that the kernel's background writeback of these dirty pages
  // (its 30 s expiry falls during the first runs) does not compete with the
  // downloads: measured, it cost the first runs up to a third of their throughput.
  await writeFileInChunks(path, bytes, { fill: randomFillSync, sync: true });
}

/** Writes a file of `bytes` in chunks of 16 MiB, each filled by `fill` (zeros without). */
async function writeFileInChunks(
  path: string,
  bytes: number,
  options: { fill?: (chunk: Uint8Array) => void; sync?: boolean } = {},
): Promise<void> {
  const chunk = new Uint8Array(16 * MIB);
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let done = 0; done < bytes; done += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, bytes - done));
    options.fill?.(part);
    await writeAll(file, part);
  }
  if (options.sync) await file.syncData();
}

/**
 * Writes and deletes a file of `bytes` zeros, so that the download that
 * follows at once writes into memory just freed. A VM that hands free memory
 * back to its host (virtio-balloon free page reporting, two seconds after it
 * is freed) makes the next write into it fault every page in again: on this
 * kind of machine, 1 GiB written into such memory took 3.3 s of system time
 * against 0.3 s into memory freed a moment before. Without this, whichever
 * run followed a pause paid that, the first run of a case most of all.
 */
async function primeMemory(path: string, bytes: number): Promise<void> {
  await writeFileInChunks(path, bytes);
  await Deno.remove(path);
}

let cpuQueries = 0;

/** Asks each seeder process for its CPU time so far, in ms. */
async function seederCpuMs(seeders: ProgramHandle[]): Promise<number> {
  const tag = `q${++cpuQueries}`;
  let total = 0;
  for (const seeder of seeders) {
    await seeder.send(`cpu ${tag}\n`);
    const line = await seeder.waitForLine(new RegExp(`^seed cpu ${tag} `), 5000);
    total += Number(line.split(" ")[3]);
  }
  return total;
}

async function download(
  workers: number,
  manifestPath: string,
  dest: string,
  peers: string[],
): Promise<DownloadFigures> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("bench/download_process.ts", ROOT).pathname,
      manifestPath,
      dest,
      peers.join(","),
      String(workers),
      ...(Deno.env.get("TRANSFER_BENCH_REQUESTS")
        ? [Deno.env.get("TRANSFER_BENCH_REQUESTS")!]
        : []),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as DownloadFigures;
  } catch {
    return {
      state: "failed",
      error: new TextDecoder().decode(out.stderr).slice(0, 300),
      ms: 0,
      poolMs: 0,
      peakRssBytes: 0,
      cpuUserMs: 0,
      cpuSystemMs: 0,
    };
  }
}

type Transport = "plain" | "tls";

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function seedersKey(count: number): string {
  return `${count} seeder${count > 1 ? "s" : " "}`;
}

async function benchSize(
  dir: string,
  sizeMib: number,
  runs: number,
  workers: number,
  transports: Transport[],
  anchor: string | null,
): Promise<void> {
  const src = `${dir}/src-${sizeMib}`;
  await writeRandomFile(src, sizeMib * MIB);
  const hashStart = performance.now();
  const manifest = await hashFile(src);
  const hashMs = performance.now() - hashStart;
  const manifestPath = `${dir}/manifest-${sizeMib}.json`;
  await Deno.writeTextFile(manifestPath, JSON.stringify(manifest));
  // deno-lint-ignore no-console
  console.log(`${sizeMib} MiB: hashFile ${(sizeMib / (hashMs / 1000)).toFixed(0)} MiB/s`);
  const seeders: ProgramHandle[] = [];
  const peerArgs = new Map<Transport, string[]>();
  try {
    for (const transport of transports) {
      const args: string[] = [];
      for (let i = 0; i < 3; i++) {
        const certPath = `${dir}/seed-${sizeMib}-${transport}-${i}.pem`;
        const seeder = await spawnProgram(
          "seed",
          [manifestPath, src, ...(transport === "tls" ? [certPath] : [])],
          { entry: "bench/seed_process.ts" },
        );
        seeders.push(seeder);
        args.push(transport === "tls" ? `${seeder.addr}=${certPath}` : seeder.addr);
      }
      peerArgs.set(transport, args);
    }
    // Seeder counts, transports and the reference alternate run by run, so a
    // slow spell of the machine hits them alike.
    const trials = Array.from({ length: runs }, (_, i) =>
      [1, 3].flatMap((count) => [
        ...transports.map((transport) => ({ count, transport, label: `run ${i + 1}` })),
        ...(anchor === null
          ? []
          : [{ count, transport: "libtorrent" as const, label: `run ${i + 1}` }]),
      ])).flat();
    const rates = new Map<string, number[]>();
    const cpuPerGib = new Map<string, number[]>();
    for (const { count, transport, label } of trials) {
      await primeMemory(`${dir}/primer`, sizeMib * MIB);
      if (transport === "libtorrent") {
        const key = `${seedersKey(count)}  libtorrent`;
        const ref = await runLibtorrent(anchor!, { sizeMib, seeders: count, workDir: dir });
        if ("mibPerSec" in ref) rates.set(key, [...(rates.get(key) ?? []), ref.mibPerSec]);
        // deno-lint-ignore no-console
        console.log(
          `${String(sizeMib).padStart(5)} MiB  ${key}  ${label.padEnd(7)}  ${
            "mibPerSec" in ref
              ? `${ref.mibPerSec.toFixed(0).padStart(5)} MiB/s`
              : `FAILED ${ref.error}`
          }`,
        );
        continue;
      }
      const offset = transports.indexOf(transport) * 3;
      const peers = seeders.slice(offset, offset + count);
      const dest = `${dir}/dst-${sizeMib}`;
      await Deno.remove(dest).catch(() => {});
      const cpuBefore = await seederCpuMs(peers);
      const f = await download(
        workers,
        manifestPath,
        dest,
        peerArgs.get(transport)!.slice(0, count),
      );
      const seedCpuMs = (await seederCpuMs(peers)) - cpuBefore;
      const mibPerSec = sizeMib / (f.ms / 1000);
      const key = `${seedersKey(count)}  ${transport.padEnd(5)}`;
      const cpuGib = (f.cpuUserMs + f.cpuSystemMs) / 1000 / (sizeMib / 1024);
      if (f.state === "complete") {
        rates.set(key, [...(rates.get(key) ?? []), mibPerSec]);
        cpuPerGib.set(key, [...(cpuPerGib.get(key) ?? []), cpuGib]);
      }
      const rate = f.state === "complete" ? mibPerSec.toFixed(0) : `FAILED ${f.error}`;
      // deno-lint-ignore no-console
      console.log(
        `${String(sizeMib).padStart(5)} MiB  ${key}  ` +
          `${label.padEnd(7)}  ${String(rate).padStart(5)} MiB/s  ${(f.ms / 1000).toFixed(2)} s  ` +
          `peak RSS ${(f.peakRssBytes / MIB).toFixed(0)} MiB  ` +
          `CPU ${(f.cpuUserMs / 1000).toFixed(2)} user + ${
            (f.cpuSystemMs / 1000).toFixed(2)
          } sys s (${cpuGib.toFixed(2)} s/GiB)  ` +
          `seeders CPU ${(seedCpuMs / 1000).toFixed(2)} s  (pool start ${f.poolMs.toFixed(0)} ms)`,
      );
    }
    for (const [key, list] of rates) {
      const cpu = cpuPerGib.get(key);
      // Keys start with the seeder count: "1 seeder   plain", "3 seeders  libtorrent".
      const reference = rates.get(`${seedersKey(Number(key.split(" ")[0]))}  libtorrent`);
      const ratio = reference === undefined || key.endsWith("libtorrent")
        ? ""
        : `  = ${(median(list) / median(reference)).toFixed(2)}x libtorrent`;
      // deno-lint-ignore no-console
      console.log(
        `${String(sizeMib).padStart(5)} MiB  ${key}  ` +
          `median ${median(list).toFixed(0)} MiB/s over ${list.length} runs` +
          (cpu === undefined ? "" : `, CPU ${median(cpu).toFixed(2)} s/GiB`) + ratio,
      );
    }
  } finally {
    for (const seeder of seeders) await seeder.stop();
    await Deno.remove(src).catch(() => {});
    await Deno.remove(`${dir}/dst-${sizeMib}`).catch(() => {});
  }
}

/** Runs the transfer benchmark and prints its table. */
export async function run(): Promise<void> {
  const sizes = (Deno.env.get("TRANSFER_BENCH_MIB") ?? "1024,256").split(",").map(Number);
  const runs = Number(Deno.env.get("TRANSFER_BENCH_RUNS") ?? 3);
  const workers = Number(Deno.env.get("TRANSFER_BENCH_WORKERS") ?? defaultWorkerCount());
  const tlsSetting = Deno.env.get("TRANSFER_BENCH_TLS") ?? "both";
  const transports: Transport[] = tlsSetting === "both"
    ? ["plain", "tls"]
    : tlsSetting === "tls"
    ? ["tls"]
    : ["plain"];
  const found = Deno.env.get("TRANSFER_BENCH_REFERENCE") === "0"
    ? { missing: "TRANSFER_BENCH_REFERENCE=0" }
    : await findLibtorrentAnchor();
  const anchor = "script" in found ? found.script : null;
  // deno-lint-ignore no-console
  console.log(
    "missing" in found
      ? `Reference runs skipped (${found.missing}): no libtorrent ratio.`
      : `Reference: libtorrent leecher, aria2c seeders (${anchor}), interleaved with ours.`,
  );
  const dir = await Deno.makeTempDir({ prefix: "p2p-bench-transfer-" });
  try {
    // deno-lint-ignore no-console
    console.log(
      `Downloader (${workers} workers) and seeders in separate processes, loopback, page cache warm.`,
    );
    for (const size of sizes) await benchSize(dir, size, runs, workers, transports, anchor);
    // One run of a larger file shows whether the downloader's memory grows with the size.
    const largeMib = Number(Deno.env.get("TRANSFER_BENCH_LARGE_MIB") ?? 4096);
    if (largeMib > 0) {
      // deno-lint-ignore no-console
      console.log(`Memory check: one run at ${largeMib} MiB (compare peak RSS with the above)`);
      await benchSize(dir, largeMib, 1, workers, transports, null);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await run();
