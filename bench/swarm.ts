// deno-lint-ignore-file no-console -- a benchmark: it prints its figures.
/**
 * Swarm benchmark: one seeder client capped at 16 MiB/s shares a file of
 * random bytes (SWARM_BENCH_MIB, default 256); 4 and then 8 leecher clients
 * (SWARM_BENCH_LEECHERS, default "4,8") start downloading it together. All
 * are real client processes with a real tracker, over loopback. Prints the
 * time until every leecher holds the verified file, against the physical
 * limit (the file's size at the seeder's cap), each leecher's bytes from the
 * seeder and from other leechers, and the CPU seconds of every process (the
 * machine may be shared, so CPU shows what this run itself cost).
 */
import { writeRandomFile } from "./transfer.ts";
import { cpuSecondsOfTrees } from "./process_cpu.ts";
import { join } from "node:path";
import { type ProgramHandle, spawnProgram } from "../tests/harness.ts";
import { type ClientProc, startClientProc } from "../tests/client_helpers.ts";

const MIB = 1024 * 1024;
const SEEDER_CAP_MIB = 16;

interface Shown {
  state: string;
  error: string | null;
  peers: { addr: string; bytes: number }[];
}

async function round(dir: string, source: string, sizeMib: number, count: number) {
  const tracker = await spawnProgram("tracker", [
    "--port",
    "0",
    "--data-dir",
    join(dir, `tracker-${count}`),
  ]);
  const t = ["--tracker", tracker.addr];
  const names = ["seeder", ...Array.from({ length: count }, (_, i) => `leecher${i + 1}`)];
  const clients: ClientProc[] = [];
  try {
    for (const [i, name] of names.entries()) {
      const cap = i === 0 ? ["--upload-limit", `${SEEDER_CAP_MIB}M`] : [];
      clients.push(await startClientProc(join(dir, `${name}-${count}`), [...t, ...cap]));
    }
    // One after another: a tracker hashes only so many passwords at once.
    for (const [i, c] of clients.entries()) {
      await c.ok(`create_user ${names[i]} pw-${names[i]}`);
      await c.ok(`login ${names[i]} pw-${names[i]}`);
    }
    await clients[0]!.ok("create_group g");
    for (const [i, c] of clients.entries()) {
      if (i === 0) continue;
      await c.ok("join_group g");
      await clients[0]!.ok(`accept_request g ${names[i]}`);
    }
    const [seeder, ...leechers] = clients as [ClientProc, ...ClientProc[]];
    await seeder.ok(`upload_file ${source} g`, 300_000);
    const procs: ProgramHandle[] = [tracker, ...clients.map((c) => c.proc)];
    const cpuBefore = (await cpuSecondsOfTrees(procs.map((p) => p.pid))).map((s) => s ?? 0);
    const start = performance.now();
    await Promise.all(
      leechers.map((c, i) => c.ok(`download_file g swarm.bin ${join(dir, `out-${count}-${i}`)}`)),
    );
    const reports = await Promise.all(leechers.map((c) => c.ok("wait", 600_000)));
    const seconds = (performance.now() - start) / 1000;
    const cpuAfter = (await cpuSecondsOfTrees(procs.map((p) => p.pid))).map((s) => s ?? 0);
    const limit = sizeMib / SEEDER_CAP_MIB;
    console.log(
      `${count} leechers, ${sizeMib} MiB, seeder at ${SEEDER_CAP_MIB} MiB/s: all done in ` +
        `${seconds.toFixed(1)} s (physical limit ${limit.toFixed(1)} s, ` +
        `${(seconds / limit).toFixed(2)}x)`,
    );
    for (const [i, report] of reports.entries()) {
      const [d] = report.downloads as Shown[];
      const fromSeeder = d?.peers.filter((p) => p.addr === seeder.proc.addr)
        .reduce((s, p) => s + p.bytes, 0) ?? 0;
      const fromOthers = d?.peers.filter((p) => p.addr !== seeder.proc.addr)
        .reduce((s, p) => s + p.bytes, 0) ?? 0;
      console.log(
        `  ${names[i + 1]!.padEnd(9)} ${d?.state ?? "?"}${d?.error ? ` (${d.error})` : ""}  ` +
          `from seeder ${(fromSeeder / MIB).toFixed(0).padStart(4)} MiB  ` +
          `from leechers ${(fromOthers / MIB).toFixed(0).padStart(4)} MiB  ` +
          `CPU ${(cpuAfter[i + 2]! - cpuBefore[i + 2]!).toFixed(1)} s`,
      );
    }
    const total = cpuAfter.reduce((s, c, i) => s + c - cpuBefore[i]!, 0);
    console.log(
      `  CPU seconds: seeder ${(cpuAfter[1]! - cpuBefore[1]!).toFixed(1)}, tracker ` +
        `${(cpuAfter[0]! - cpuBefore[0]!).toFixed(1)}, all processes ${total.toFixed(1)}`,
    );
  } finally {
    for (const c of clients) await c[Symbol.asyncDispose]();
    await tracker.stop();
    for (let i = 0; i < count; i++) {
      await Deno.remove(join(dir, `out-${count}-${i}`)).catch(() => {});
    }
  }
}

/** Runs the swarm benchmark and prints its figures. */
export async function run(): Promise<void> {
  const sizeMib = Number(Deno.env.get("SWARM_BENCH_MIB") ?? "256");
  const counts = (Deno.env.get("SWARM_BENCH_LEECHERS") ?? "4,8").split(",").map(Number);
  const dir = await Deno.makeTempDir({ prefix: "swarm-bench-" });
  try {
    const source = join(dir, "swarm.bin");
    await writeRandomFile(source, sizeMib * MIB);
    for (const count of counts) await round(dir, source, sizeMib, count);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
