/**
 * Tracker benchmark: one tracker process, 100 concurrent connections, each
 * sending one request after another for a fixed time per command (logins
 * on as many as one address may hash at once). Prints requests/s and p50/p99
 * latency for login, list_files and upload_file, and the tracker's peak
 * resident memory; upload_file is also sent to a server that does nothing
 * (null_server.ts), the ceiling of the machine and the load generator.
 * BENCH_TRACKER_COMMANDS (a comma list of those names, e.g.
 * `upload_file`) runs only those; BENCH_SECONDS sets the time per command.
 */
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import { createHash } from "node:crypto";
import { fileHashOf } from "../protocol/manifest.ts";
import process from "node:process";
import { RpcClient } from "../protocol/rpc_client.ts";
import { spawnProgram, tempDir } from "../tests/harness.ts";
import { HASH_QUEUE_PER_SOURCE_MAX } from "../tracker/config.ts";

const CONNECTIONS = 100;
const SECONDS_PER_COMMAND = Number(Deno.env.get("BENCH_SECONDS") ?? 3);
const ONLY_COMMANDS = Deno.env.get("BENCH_TRACKER_COMMANDS")?.split(",");

function wanted(name: string): boolean {
  return ONLY_COMMANDS === undefined || ONLY_COMMANDS.some((only) => name.startsWith(only));
}

/** One measured command. */
export interface Figures {
  name: string;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** A stall of the event loop shows here and in the maximum before it moves the p99. */
  p999Ms: number;
  maxMs: number;
  /** CPU the benchmark's own process used meanwhile, % of one core: near 100, it is the bottleneck. */
  generatorCpu: number;
}

/**
 * The value at fraction `p` of sorted samples.
 * @returns the percentile, 0 for no samples
 */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * Peak resident memory of a running tracker, from its `status` reply.
 * @returns MiB
 */
export async function peakRssMiB(addr: string): Promise<number> {
  const rpc = await RpcClient.connect(addr);
  try {
    const status = await rpc.request<TrackerReplies["status"]>("status");
    return status.memory.peakRssBytes / (1024 * 1024);
  } finally {
    rpc.close();
    await rpc.closed;
  }
}

/**
 * Runs `request` on every connection back to back for a while.
 * @returns the figures
 */
export async function measure(
  name: string,
  conns: RpcClient[],
  request: (conn: RpcClient, n: number) => Promise<unknown>,
  seconds = SECONDS_PER_COMMAND,
): Promise<Figures> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let n = 0;
  await Promise.all(conns.map(async (conn) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await request(conn, n++);
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    p999Ms: percentile(latencies, 0.999),
    maxMs: latencies.at(-1) ?? 0,
    generatorCpu: (cpu.user + cpu.system) / 1e4 / elapsed,
  };
}

/**
 * Formats rows as an aligned table.
 * @returns the table text
 */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [
    header,
    ...rows.map((row) => row.map((c) => typeof c === "number" ? c.toFixed(1) : c)),
  ];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => String(row[i]).length)));
  return cells.map((row) => row.map((c, i) => String(c).padStart(widths[i]!)).join("  ")).join(
    "\n",
  );
}

function cellsOf(r: Figures): (string | number)[] {
  const latencies = [r.p50Ms, r.p99Ms, r.p999Ms, r.maxMs];
  return [r.name, String(r.requests), r.perSecond, ...latencies, r.generatorCpu];
}

/**
 * Sends the same requests to a server that answers without doing anything
 * (null_server.ts): the ceiling of this machine's runtime, loopback and load
 * generator, which the tracker's figures are read against.
 * @returns the figures
 */
async function measureNullServer(
  name: string,
  request: (conn: RpcClient, n: number) => Promise<unknown>,
): Promise<Figures> {
  await using server = await spawnProgram("null", [], { entry: "bench/null_server.ts" });
  const conns = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => RpcClient.connect(server.addr)),
  );
  try {
    return await measure(name, conns, request);
  } finally {
    for (const conn of conns) conn.close();
  }
}

function manifestFor(n: number) {
  const hash = createHash("sha256").update(`bench-${n}`).digest("hex");
  const piece = { size: 1000, pieceSize: 1024, pieceHashes: [hash] };
  return { fileHash: fileHashOf(piece), ...piece };
}

/** Runs the tracker benchmark and prints its table. */
export async function run(): Promise<void> {
  await using dir = await tempDir("p2p-bench-");
  await using tracker = await spawnProgram("tracker", ["--port", "0", "--data-dir", dir.path]);
  const conns = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => RpcClient.connect(tracker.addr)),
  );
  try {
    const admin = conns[0]!;
    await admin.request("create_user", { user: "bench", password: "pw" });
    const { token } = await admin.request<{ token: string }>("login", {
      user: "bench",
      password: "pw",
    });
    await admin.request("create_group", { token, group: "bench" });
    const rows: Figures[] = [];
    if (wanted("login")) {
      rows.push(
        // One address may queue only so many password hashes: more would be refused.
        await measure(
          "login",
          conns.slice(0, HASH_QUEUE_PER_SOURCE_MAX),
          (c) => c.request("login", { user: "bench", password: "pw" }),
        ),
      );
    }
    const upload = (c: RpcClient, n: number) =>
      c.request("upload_file", {
        token,
        group: "bench",
        name: `file-${n}`,
        addr: "127.0.0.1:9000",
        manifest: manifestFor(n),
      });
    if (wanted("upload_file")) {
      rows.push(await measure("upload_file", conns, upload));
      rows.push(await measureNullServer("upload_file, null server", upload));
    }
    await admin.request("create_group", { token, group: "small" });
    for (let i = 0; i < 10; i++) {
      const manifest = manifestFor(-1 - i);
      await admin.request("upload_file", {
        token,
        group: "small",
        name: `f${i}`,
        addr: "127.0.0.1:9000",
        manifest,
      });
    }
    if (wanted("list_files")) {
      rows.push(
        await measure(
          "list_files (10 files)",
          conns,
          (c) => c.request("list_files", { token, group: "small" }),
        ),
      );
    }
    // deno-lint-ignore no-console
    console.log(table(
      ["command", "requests", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "generator CPU %"],
      rows.map(cellsOf),
    ));
    // deno-lint-ignore no-console
    console.log(
      `${CONNECTIONS} connections; tracker peak RSS ${
        (await peakRssMiB(tracker.addr)).toFixed(1)
      } MiB`,
    );
  } finally {
    for (const conn of conns) conn.close();
  }
}
