/**
 * Failover latency: the time from a tracker's death to a client's next
 * command being answered, over repeated crashes (SIGKILL, noticed when the
 * socket closes) and hangs (SIGSTOP, noticed only by the heartbeat). Two
 * trackers replicate; the client process is a real one in
 * `--json` mode. A killed tracker is restarted on its port before the next
 * round; a stopped one is continued. Bounded in rounds and time.
 */
import { join } from "node:path";
import { type ProgramHandle } from "../tests/harness.ts";
import { startPeer } from "../tests/cluster_helpers.ts";
import { type ClientProc, startClientProc } from "../tests/client_helpers.ts";
import { defaultClientConfig } from "../client/config.ts";
import { table } from "./tracker.ts";

const ROUNDS = 20;
const BUDGET_MS = 150_000;
// Measured with the settings a user gets by default.
const { heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS } =
  defaultClientConfig();

interface Cluster {
  trackers: ProgramHandle[];
  dirs: string[];
  peerFlags: string[][];
}

async function startCluster(root: string): Promise<Cluster> {
  const cluster: Cluster = { trackers: [], dirs: [], peerFlags: [] };
  for (let i = 0; i < 2; i++) {
    cluster.dirs.push(join(root, `t${i + 1}`));
    // Tracker 2 is told tracker 1's address; tracker 1 dials it back.
    cluster.peerFlags.push(i === 0 ? [] : ["--peer", cluster.trackers[0]!.addr]);
    cluster.trackers.push(await startPeer(i + 1, cluster.dirs[i]!, cluster.peerFlags[i]!));
  }
  return cluster;
}

async function restart(cluster: Cluster, i: number): Promise<void> {
  const port = cluster.trackers[i]!.addr.split(":").pop()!;
  const again = await startPeer(i + 1, cluster.dirs[i]!, [
    ...cluster.peerFlags[i]!,
    "--port",
    port,
  ]);
  cluster.trackers[i] = again;
}

async function timeOne(client: ClientProc, kill: () => void): Promise<number> {
  const start = performance.now();
  kill();
  await client.ok("list_groups", 30_000);
  return performance.now() - start;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(
  cluster: Cluster,
  client: ClientProc,
  mode: "crash" | "hang",
  deadline: number,
): Promise<number[]> {
  const samples: number[] = [];
  let current = 0; // the client starts on the first tracker of its list
  for (let round = 0; round < ROUNDS && Date.now() < deadline; round++) {
    const victim = cluster.trackers[current]!;
    if (mode === "crash") {
      samples.push(await timeOne(client, () => Deno.kill(victim.pid, "SIGKILL")));
      await victim.status;
      await restart(cluster, current);
    } else {
      samples.push(await timeOne(client, () => Deno.kill(victim.pid, "SIGSTOP")));
      Deno.kill(victim.pid, "SIGCONT");
    }
    current = 1 - current;
  }
  return samples;
}

/** Prints p50/p99 failover latency for crashes and hangs. */
export async function run(): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "bench-failover-" });
  const deadline = Date.now() + BUDGET_MS;
  const cluster = await startCluster(root);
  let client: ClientProc | undefined;
  const rows: string[][] = [];
  try {
    client = await startClientProc(join(root, "client"), [
      ...cluster.trackers.flatMap((t) => ["--tracker", t.addr]),
      "--heartbeat-interval",
      String(HEARTBEAT_INTERVAL_MS),
      "--heartbeat-timeout",
      String(HEARTBEAT_TIMEOUT_MS),
    ]);
    await client.ok("create_user bench pw");
    await client.ok("login bench pw");
    for (const mode of ["crash", "hang"] as const) {
      const samples = (await measure(cluster, client, mode, deadline)).sort((a, b) => a - b);
      rows.push([
        mode === "crash" ? "crash (SIGKILL)" : "hang (SIGSTOP)",
        String(samples.length),
        percentile(samples, 50).toFixed(0),
        percentile(samples, 99).toFixed(0),
      ]);
    }
  } finally {
    await client?.[Symbol.asyncDispose]();
    for (const t of cluster.trackers) {
      try {
        Deno.kill(t.pid, "SIGCONT");
      } catch {
        // gone
      }
      await t[Symbol.asyncDispose]();
    }
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  // deno-lint-ignore no-console
  console.log(
    `failover: death of the client's tracker to its next answered command ` +
      `(default heartbeat ${HEARTBEAT_INTERVAL_MS} ms, timeout ${HEARTBEAT_TIMEOUT_MS} ms)`,
  );
  // deno-lint-ignore no-console
  console.log(table(["kind", "kills", "p50 ms", "p99 ms"], rows));
}

if (import.meta.main) await run();
