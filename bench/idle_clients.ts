/**
 * Idle-clients benchmark: one tracker, and 1,000, 5,000 and 20,000 clients
 * that each hold a connection and ping once a second, spread over
 * load-generator processes of at most CLIENTS_PER_PROCESS each. Prints ping
 * p50/p99, the tracker's RSS and CPU, and the generators' own timer lag and
 * CPU: a generator whose timers fire late is the bottleneck, not the tracker.
 * `IDLE_BENCH_CLIENTS` (e.g. `1000,5000`) picks the levels.
 */
import { RpcClient } from "../protocol/rpc_client.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import { spawnProgram, tempDir } from "../tests/harness.ts";
import { percentile, table } from "./tracker.ts";

const LEVELS = [1000, 5000, 20_000];
const CLIENTS_PER_PROCESS = 5000;
const SECONDS = 10;
const LOAD = new URL("./idle_load.ts", import.meta.url).pathname;

interface LoadReport {
  connected: number;
  refused: number;
  sent: number;
  latencies: number[];
  lags: number[];
  cpuPercent: number;
}

/** CPU seconds (user + system) a process has used, from /proc (read by `cat`: Deno keeps /proc from programs). */
async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
    const fields = new TextDecoder().decode(out.stdout).split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return undefined;
  }
}

async function rssMiB(addr: string): Promise<number> {
  const rpc = await RpcClient.connect(addr);
  try {
    const status = await rpc.request<TrackerReplies["status"]>("status");
    return status.memory.rssBytes / (1024 * 1024);
  } finally {
    rpc.close();
  }
}

async function runGenerator(addr: string, clients: number): Promise<LoadReport> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", LOAD, addr, String(clients), String(SECONDS)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "{}";
  return JSON.parse(line) as LoadReport;
}

async function level(clients: number): Promise<(string | number)[]> {
  await using dir = await tempDir("p2p-idle-");
  await using tracker = await spawnProgram("tracker", [
    "--port",
    "0",
    "--data-dir",
    dir.path,
    "--max-connections",
    String(clients + 1000),
    // Every bench client comes from 127.0.0.1; real clients come from many addresses.
    "--max-conns-per-address",
    String(clients + 1000),
  ]);
  const cpuBefore = await cpuSeconds(tracker.pid);
  const wallBefore = performance.now();
  const parts = Math.ceil(clients / CLIENTS_PER_PROCESS);
  const reports = await Promise.all(
    Array.from({ length: parts }, (_, i) =>
      runGenerator(
        tracker.addr,
        Math.min(CLIENTS_PER_PROCESS, clients - i * CLIENTS_PER_PROCESS),
      )),
  );
  const cpuAfter = await cpuSeconds(tracker.pid);
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const rss = await rssMiB(tracker.addr);
  const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const lags = reports.flatMap((r) => r.lags).sort((a, b) => a - b);
  const connected = reports.reduce((n, r) => n + r.connected, 0);
  const sent = reports.reduce((n, r) => n + r.sent, 0);
  const trackerCpu = cpuBefore === undefined || cpuAfter === undefined
    ? "?"
    : `${(((cpuAfter - cpuBefore) / wallSeconds) * 100).toFixed(0)}%`;
  const loadCpu = reports.map((r) => r.cpuPercent.toFixed(0)).join("+");
  return [
    String(clients),
    String(connected),
    percentile(latencies, 0.5),
    percentile(latencies, 0.99),
    String(sent - latencies.length),
    rss,
    trackerCpu,
    percentile(lags, 0.99),
    `${loadCpu}%`,
  ];
}

/** Runs the idle-clients levels and prints their table. */
export async function run(): Promise<void> {
  const chosen = Deno.env.get("IDLE_BENCH_CLIENTS");
  const levels = chosen === undefined ? LEVELS : chosen.split(",").map(Number);
  const rows = [];
  for (const clients of levels) rows.push(await level(clients));
  // deno-lint-ignore no-console
  console.log(table(
    [
      "clients",
      "connected",
      "ping p50 ms",
      "p99 ms",
      "unanswered",
      "tracker RSS MiB",
      "tracker CPU",
      "generator lag p99 ms",
      "generator CPU",
    ],
    rows,
  ));
  // deno-lint-ignore no-console
  console.log(
    `each client pings once a second for ${SECONDS} s; generators of at most ${CLIENTS_PER_PROCESS} clients`,
  );
}
