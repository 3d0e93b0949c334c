/**
 * Idle-clients benchmark: one tracker, and 1,000, 5,000 and 20,000 clients
 * that each hold a connection and ping once a second, spread over
 * load-generator processes of at most CLIENTS_PER_PROCESS each. Prints ping
 * p50/p99, the server's RSS and CPU, the sockets it holds, and the
 * generators' own timer lag and CPU: a generator whose timers fire late is
 * the bottleneck, not the tracker. A level past what the open-files limit
 * lets one tracker hold is said so, and measured at the most that fits.
 * The largest level is run again against a server that only answers pings
 * (null_server.ts): what the runtime itself needs for that many clients on
 * this machine, beside what the tracker needs.
 * `IDLE_BENCH_CLIENTS` (e.g. `1000,5000`) picks the levels.
 */
import { spawnProgram, tempDir } from "../tests/harness.ts";
import { cpuSecondsOfTrees } from "./process_cpu.ts";
import { percentile, table } from "./tracker.ts";

const LEVELS = [1000, 5000, 20_000];
const CLIENTS_PER_PROCESS = 5000;
const SECONDS = 10;
/** Files the tracker may open while serving, besides those it holds at start. */
const SPARE_FILES = 16;
const LOAD = new URL("./idle_load.ts", import.meta.url).pathname;

interface LoadReport {
  connected: number;
  /** Connections still open when the measured window began. */
  alive: number;
  /** Its worst timer delay from its start to the window's, in ms. */
  beforeWindowLagMaxMs: number;
  refused: number;
  sent: number;
  latencies: number[];
  lags: number[];
  cpuPercent: number;
}

/** A generator process whose clients are connected, waiting for its go. */
interface Generator {
  connected: number;
  /** Its worst timer delay while its clients connected, in ms. */
  connectLagMaxMs: number;
  /** Starts its measured window. @returns its report at the end */
  go(): Promise<LoadReport>;
}

async function startGenerator(addr: string, clients: number): Promise<Generator> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", LOAD, addr, String(clients), String(SECONDS)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const nextLine = async (): Promise<string> => {
    while (!text.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error("a load generator ended before reporting");
      text += value;
    }
    const at = text.indexOf("\n");
    const line = text.slice(0, at);
    text = text.slice(at + 1);
    return line;
  };
  const { connected, connectLagMaxMs } = JSON.parse(await nextLine()) as {
    connected: number;
    connectLagMaxMs: number;
  };
  return {
    connected,
    connectLagMaxMs,
    go: async () => {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
      const report = JSON.parse(await nextLine()) as LoadReport;
      await child.status;
      return report;
    },
  };
}

/** Output of a shell command, trimmed ("" when it fails). */
async function sh(command: string): Promise<string> {
  try {
    const out = await new Deno.Command("sh", { args: ["-c", command] }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

/** Files a process holds open now, from /proc. */
async function openFiles(pid: number): Promise<number> {
  return Number(await sh(`ls /proc/${pid}/fd | wc -l`));
}

/** Resident memory of a process now, from /proc, in MiB. */
async function residentMiB(pid: number): Promise<number> {
  const kib = Number((await sh(`grep VmRSS /proc/${pid}/status`)).split(/\s+/)[1]);
  return kib / 1024;
}

/**
 * How many client connections fit in one tracker: a process may hold at most
 * the hard open-files limit (a process cannot raise it, and the tracker
 * already runs at it), and the tracker holds some files of its own.
 */
async function connectionRoom(trackerPid: number): Promise<{ limit: number; room: number }> {
  const limit = Number(await sh("ulimit -Hn"));
  if (!Number.isSafeInteger(limit)) return { limit: Infinity, room: Infinity };
  // Its own files now, and a few spare for what it opens while serving (the op log's journal).
  return { limit, room: limit - (await openFiles(trackerPid)) - SPARE_FILES };
}

/** Says how many connections the tracker closed, and why, from its log. */
function reportCloses(lines: string[]): void {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const match = / closed (\d+) connections?: (.*)$/.exec(line);
    if (match !== null) counts.set(match[2]!, (counts.get(match[2]!) ?? 0) + Number(match[1]));
  }
  for (const [reason, count] of counts) {
    // deno-lint-ignore no-console
    console.log(`the tracker closed ${count} connections: ${reason}`);
  }
}

/** The server the clients ping: a tracker, or the null server. */
type ServerKind = "tracker" | "null server";

async function level(requested: number, kind: ServerKind): Promise<(string | number)[]> {
  await using dir = await tempDir("p2p-idle-");
  await using server = kind === "null server"
    ? await spawnProgram("null", [], { entry: "bench/null_server.ts" })
    : await spawnProgram("tracker", [
      "--port",
      "0",
      "--data-dir",
      dir.path,
      "--max-connections",
      String(requested + 1000),
      // Every bench client comes from 127.0.0.1; real clients come from many addresses.
      "--max-conns-per-address",
      String(requested + 1000),
    ]);
  const { limit, room } = await connectionRoom(server.pid);
  let clients = requested;
  if (requested > room) clients = Math.floor(room / 500) * 500;
  if (requested > room && kind === "tracker") {
    // deno-lint-ignore no-console
    console.log(
      `${requested} clients do not fit in one tracker here: the open-files limit is ${limit} ` +
        `per process (hard: it cannot be raised without privileges) and the tracker holds ` +
        `${limit - room - SPARE_FILES} files of its own, so it can take about ${room} ` +
        `connections; measuring ${clients} instead. Past the limit, accept fails (EMFILE) and ` +
        `the connections left waiting are never answered. Raise the limit or spread the ` +
        `clients over several trackers behind a balancer.`,
    );
  }
  const parts = Math.ceil(clients / CLIENTS_PER_PROCESS);
  const generators = await Promise.all(
    Array.from({ length: parts }, (_, i) =>
      startGenerator(
        server.addr,
        Math.min(CLIENTS_PER_PROCESS, clients - i * CLIENTS_PER_PROCESS),
      )),
  );
  // deno-lint-ignore no-console
  console.log(
    `${clients} clients: generators' worst timer delay while connecting ` +
      generators.map((g) => `${g.connectLagMaxMs.toFixed(0)}`).join("+") + " ms",
  );
  const sockets = (await openFiles(server.pid)) - (limit - room - SPARE_FILES);
  const cpuBefore = (await cpuSecondsOfTrees([server.pid]))[0];
  const wallBefore = performance.now();
  let rss = 0;
  const watching = (async () => {
    // Resident memory while every client is connected, sampled through the window.
    while (performance.now() - wallBefore < SECONDS * 1000) {
      rss = Math.max(rss, await residentMiB(server.pid));
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  const reports = await Promise.all(generators.map((g) => g.go()));
  const cpuAfter = (await cpuSecondsOfTrees([server.pid]))[0];
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  await watching;
  reportCloses(server.stderrLines);
  // deno-lint-ignore no-console
  console.log(
    `per generator: open at the window's start ${reports.map((r) => r.alive).join("+")}, ` +
      `worst timer delay before it ${
        reports.map((r) => r.beforeWindowLagMaxMs.toFixed(0)).join("+")
      } ms`,
  );
  const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const lags = reports.flatMap((r) => r.lags).sort((a, b) => a - b);
  const alive = reports.reduce((n, r) => n + r.alive, 0);
  const sent = reports.reduce((n, r) => n + r.sent, 0);
  const serverCpu = cpuBefore === undefined || cpuAfter === undefined
    ? "?"
    : `${(((cpuAfter - cpuBefore) / wallSeconds) * 100).toFixed(0)}%`;
  const loadCpu = reports.map((r) => r.cpuPercent.toFixed(0)).join("+");
  const count = clients === requested ? String(clients) : `${clients} (of ${requested})`;
  return [
    kind === "tracker" ? count : `${count}, ${kind}`,
    String(alive),
    String(sockets),
    percentile(latencies, 0.5),
    percentile(latencies, 0.99),
    String(sent - latencies.length),
    rss,
    serverCpu,
    percentile(lags, 0.99),
    `${loadCpu}%`,
  ];
}

/** Runs the idle-clients levels and prints their table. */
export async function run(): Promise<void> {
  const chosen = Deno.env.get("IDLE_BENCH_CLIENTS");
  const levels = chosen === undefined ? LEVELS : chosen.split(",").map(Number);
  const rows = [];
  for (const clients of levels) rows.push(await level(clients, "tracker"));
  rows.push(await level(Math.max(...levels), "null server"));
  // deno-lint-ignore no-console
  console.log(table(
    [
      "clients",
      "open at start",
      "server sockets",
      "ping p50 ms",
      "p99 ms",
      "unanswered",
      "server RSS MiB",
      "server CPU",
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
