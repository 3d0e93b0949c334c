/**
 * Cluster benchmark: three tracker processes replicating. Prints the lag from
 * a write on one tracker to its visibility on another (p50/p99), and how long
 * a restarted tracker takes to catch up on ops it missed while it was down.
 */
import { RpcClient } from "../protocol/rpc_client.ts";
import { type ProgramHandle, spawnProgram, tempDir } from "../tests/harness.ts";
import { peakRssMiB, percentile, table } from "./tracker.ts";

const SECRET = "bench-cluster-secret";
const LAG_SAMPLES = 300;
const MISSED_OPS = 100_000;
const GENERATE_BUDGET_MS = 60_000;
const CATCHUP_BUDGET_MS = 120_000;
const WRITERS = 64;
const IN_FLIGHT_PER_WRITER = 4;

function startTracker(id: number, dataDir: string, peers: string[]): Promise<ProgramHandle> {
  const flags = ["--port", "0", "--id", String(id), "--data-dir", dataDir];
  for (const peer of peers) flags.push("--peer", peer);
  return spawnProgram("tracker", flags, { env: { TRACKER_CLUSTER_SECRET: SECRET } });
}

async function seqOf(client: RpcClient, origin: number): Promise<number> {
  const status = await client.request<{ versionVector: Record<string, number> }>("status");
  return status.versionVector[String(origin)] ?? 0;
}

/** Writes on T1 one at a time and polls T2 until each write shows there. */
async function measureLag(t1: RpcClient, t2: RpcClient, token: string): Promise<number[]> {
  const lags: number[] = [];
  for (let i = 0; i < LAG_SAMPLES; i++) {
    const started = performance.now();
    await t1.request("create_group", { token, group: `lag-${i}` });
    const target = await seqOf(t1, 1);
    while (await seqOf(t2, 1) < target) {
      if (performance.now() - started > 5000) break;
    }
    lags.push(performance.now() - started);
  }
  return lags.sort((a, b) => a - b);
}

/** Pipelines cheap writes (create_group) over several connections to T1 and T2. */
async function generate(addrs: string[], token: string, count: number): Promise<number> {
  const deadline = performance.now() + GENERATE_BUDGET_MS;
  let next = 0;
  let done = 0;
  const clients = await Promise.all(
    Array.from({ length: WRITERS }, (_, i) => RpcClient.connect(addrs[i % addrs.length]!)),
  );
  try {
    const worker = async (client: RpcClient) => {
      while (next < count && performance.now() < deadline) {
        await client.request("create_group", { token, group: `bulk-${next++}` }, 60_000);
        done++;
      }
    };
    await Promise.all(
      clients.flatMap((client) =>
        Array.from({ length: IN_FLIGHT_PER_WRITER }, () => worker(client))
      ),
    );
  } finally {
    for (const client of clients) client.close();
  }
  return done;
}

type Vv = Record<string, number>;

/** A tracker's version vector: the highest committed seq per origin. */
async function vvOf(addr: string): Promise<Vv> {
  const client = await RpcClient.connect(addr);
  try {
    return (await client.request<{ versionVector: Vv }>("status")).versionVector;
  } finally {
    client.close();
  }
}

/** Whether `vv` holds every op of `target` (a sum of ops would not say which). */
function covers(vv: Vv, target: Vv): boolean {
  return Object.entries(target).every(([origin, seq]) => (vv[origin] ?? 0) >= seq);
}

/** T1's version vector once T2's last writes have reached it (bounded wait). */
async function settledVv(a: string, b: string): Promise<Vv> {
  const deadline = performance.now() + 5000;
  let vv = await vvOf(a);
  while (!covers(vv, await vvOf(b)) && performance.now() < deadline) vv = await vvOf(a);
  return vv;
}

async function digestOf(addr: string): Promise<{ digest: string; ops: number }> {
  const client = await RpcClient.connect(addr);
  try {
    return await client.request("digest");
  } finally {
    client.close();
  }
}

/** Runs the cluster benchmark and prints its table. */
export async function run(): Promise<void> {
  await using d1 = await tempDir("p2p-bench-");
  await using d2 = await tempDir("p2p-bench-");
  await using d3 = await tempDir("p2p-bench-");
  await using t1 = await startTracker(1, d1.path, []);
  await using t2 = await startTracker(2, d2.path, [t1.addr]);
  const t3 = await startTracker(3, d3.path, [t1.addr, t2.addr]);
  const c1 = await RpcClient.connect(t1.addr);
  const c2 = await RpcClient.connect(t2.addr);
  const rows: (string | number)[][] = [];
  try {
    await c1.request("create_user", { user: "bench", password: "pw" });
    const { token } = await c1.request<{ token: string }>("login", {
      user: "bench",
      password: "pw",
    });
    const lags = await measureLag(c1, c2, token);
    rows.push([
      "write→visible on another tracker",
      `${LAG_SAMPLES} writes`,
      percentile(lags, 0.5),
      percentile(lags, 0.99),
    ]);

    t3.child.kill("SIGKILL");
    await t3.status;
    const genStart = performance.now();
    const generated = await generate([t1.addr, t2.addr], token, MISSED_OPS);
    const genSeconds = (performance.now() - genStart) / 1000;
    rows.push(["write throughput, 2 trackers", `${generated} ops`, generated / genSeconds, NaN]);

    const target = await settledVv(t1.addr, t2.addr);
    const restartStart = performance.now();
    await using again = await startTracker(3, d3.path, [t1.addr, t2.addr]);
    const readyMs = performance.now() - restartStart;
    let caughtUp = NaN;
    while (performance.now() - restartStart < CATCHUP_BUDGET_MS) {
      // Polls the version vector: a digest hashes the whole state, and polling
      // it every 20 ms took over half the restarted tracker's CPU.
      if (covers(await vvOf(again.addr), target)) {
        caughtUp = performance.now() - restartStart;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    rows.push(["restart to ready line", "", readyMs, NaN]);
    rows.push([
      `catch-up of ${generated} missed ops`,
      `${(generated / (caughtUp / 1000)).toFixed(0)} ops/s`,
      caughtUp,
      NaN,
    ]);
    const final = await digestOf(again.addr);
    // deno-lint-ignore no-console
    console.log(table(["measure", "count", "p50 / value (ms or ops/s)", "p99 ms"], rows));
    // deno-lint-ignore no-console
    console.log(
      `digests equal after catch-up: ${final.digest === (await digestOf(t1.addr)).digest}; ` +
        `peak RSS T1 ${(await peakRssMiB(t1.addr)).toFixed(0)} MiB, restarted T3 ${
          (await peakRssMiB(again.addr)).toFixed(0)
        } MiB`,
    );
  } finally {
    c1.close();
    c2.close();
    await t3.stop("SIGKILL");
  }
}
