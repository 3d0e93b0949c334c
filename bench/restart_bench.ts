/**
 * Restart and catch-up against state size: op logs of 10,000 to 1,000,000
 * synthetic ops (1,000 users, 10,000 groups, then membership changes), written
 * straight into a tracker's SQLite log. Restart: opening the log with no
 * snapshot (replaying every op) and again from the snapshot saved on close.
 * Catch-up: a fresh in-process tracker joining one that holds the log, until
 * their digests match, by ops (the log kept whole) or from the snapshot (the
 * log cut behind it). `RESTART_BENCH_OPS` (e.g. `10000,100000`) picks the sizes.
 */
import { formatStamp } from "../tracker/hlc.ts";
import type { Op, OpBody } from "../tracker/ops.ts";
import { Replica } from "../tracker/replica.ts";
import { OpStore } from "../tracker/storage.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { testConfig } from "../tracker/config.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { tempDir } from "../tests/harness.ts";
import { table } from "./tracker.ts";

const SIZES = [10_000, 100_000, 1_000_000];
const USERS = 1000;
const GROUPS = 10_000;
const BATCH = 10_000;
const BASE_MS = 1_700_000_000_000;
const SECRET = "restart-bench-secret";
const CATCHUP_BUDGET_MS = 300_000;

const stampOf = (seq: number) => formatStamp({ ms: BASE_MS + seq, counter: 0 }, 1);

function bodyOf(seq: number): OpBody {
  const i = seq - 1;
  if (i < USERS) return { type: "create_user", user: `user-${i}`, salt: "00", hash: "00" };
  if (i < USERS + GROUPS) {
    return { type: "create_group", group: `g${i - USERS}`, owner: `user-${i % USERS}` };
  }
  const group = i % GROUPS;
  return {
    type: "set_member",
    group: `g${group}`,
    epoch: stampOf(USERS + group + 1),
    user: `user-${i % USERS}`,
    status: (i >> 4) % 2 === 0 ? "member" : "left",
  };
}

function writeLog(dir: string, ops: number): void {
  const store = new OpStore(dir);
  try {
    for (let from = 1; from <= ops; from += BATCH) {
      const batch: Op[] = [];
      for (let seq = from; seq < Math.min(from + BATCH, ops + 1); seq++) {
        batch.push({ origin: 1, seq, stamp: stampOf(seq), body: bodyOf(seq) });
      }
      store.append(batch);
    }
  } finally {
    store.close();
  }
}

function timeOpen(dir: string): number {
  const started = performance.now();
  const replica = Replica.open({ id: 1, dataDir: dir, snapshotEveryOps: 5000 });
  const ms = performance.now() - started;
  replica.close();
  return ms;
}

async function digestOf(addr: string): Promise<{ digest: string; ops: number }> {
  const rpc = await RpcClient.connect(addr);
  try {
    return await rpc.request("digest");
  } finally {
    rpc.close();
  }
}

/** A fresh tracker joins one holding `dir`'s log. @returns ms until their digests match */
async function catchUp(dir: string, bySnapshot: boolean): Promise<number> {
  const logKeepOps = bySnapshot ? 0 : Number.MAX_SAFE_INTEGER;
  const base = { clusterSecret: SECRET, logKeepOps, log: () => {} };
  await using t1 = await startTracker(testConfig(dir, { id: 1, ...base }));
  if (bySnapshot) {
    // One write takes the snapshot the replay made due, and cuts the log behind it.
    const rpc = await RpcClient.connect(t1.addr);
    await rpc.request("create_user", { user: "late", password: "pw" }).finally(() => rpc.close());
  }
  const want = (await digestOf(t1.addr)).digest;
  await using d2 = await tempDir("p2p-catchup-");
  const started = performance.now();
  await using t2 = await startTracker(testConfig(d2.path, { id: 2, ...base, peers: [t1.addr] }));
  while ((await digestOf(t2.addr)).digest !== want) {
    if (performance.now() - started > CATCHUP_BUDGET_MS) return NaN;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return performance.now() - started;
}

function sizes(): number[] {
  const chosen = Deno.env.get("RESTART_BENCH_OPS");
  return chosen === undefined ? SIZES : chosen.split(",").map(Number);
}

/** Restart times against log size. */
export async function runRestart(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const ops of sizes()) {
    await using dir = await tempDir("p2p-restart-");
    writeLog(dir.path, ops);
    const replay = timeOpen(dir.path); // no snapshot yet: every op replayed; close saves one
    const fromSnapshot = timeOpen(dir.path);
    rows.push([String(ops), replay, fromSnapshot]);
  }
  // deno-lint-ignore no-console
  console.log(table(["ops in log", "restart, replay all ms", "restart from snapshot ms"], rows));
}

/** Catch-up times against log size, by ops and from a snapshot. */
export async function runCatchUp(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const ops of sizes()) {
    const times: number[] = [];
    for (const bySnapshot of [false, true]) {
      if (!bySnapshot && ops > 100_000) {
        times.push(NaN); // streaming a million ops takes minutes; the snapshot is the way
        continue;
      }
      await using dir = await tempDir("p2p-catchup-");
      writeLog(dir.path, ops);
      times.push(await catchUp(dir.path, bySnapshot));
    }
    rows.push([String(ops), ...times.map((ms) => Number.isNaN(ms) ? "-" : ms)]);
  }
  // deno-lint-ignore no-console
  console.log(table(["ops behind", "catch-up by ops ms", "catch-up from snapshot ms"], rows));
}
