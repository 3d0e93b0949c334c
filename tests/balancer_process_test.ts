/**
 * The balancer as a program: its command line, its ready line, its health
 * checks across processes, and a clean exit on SIGTERM. With a real tracker
 * when tracker/main.ts is present.
 */
import assert from "node:assert/strict";
import { RpcClient } from "../protocol/rpc_client.ts";
import type { BalancerReplies } from "../protocol/balancer_messages.ts";
import { spawnProgram, tempDir } from "./harness.ts";
import { FakeTracker, waitFor } from "./balancer_fakes.ts";

const ROOT = new URL("../", import.meta.url);
const FAST = ["--port", "0", "--ping-interval", "50", "--ping-timeout", "300", "--max-misses", "2"];

async function runBalancer(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      new URL("balancer/main.ts", ROOT).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, out: decode(output.stdout), err: decode(output.stderr) };
}

async function withClient<T>(addr: string, use: (client: RpcClient) => Promise<T>): Promise<T> {
  const client = await RpcClient.connect(addr);
  try {
    return await use(client);
  } finally {
    client.close();
    await client.closed;
  }
}

Deno.test("balancer --help prints usage; a bad flag exits 2 with a clear line", async () => {
  const help = await runBalancer(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: deno task balancer \[options\]/);
  assert.match(help.out, /--ping-interval/);
  const bad = await runBalancer(["--max-misses", "zero"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--max-misses: "zero" must be an integer/);
  const unknown = await runBalancer(["--frobnicate"]);
  assert.equal(unknown.code, 2);
  const noSecret = await runBalancer(["--cluster-secret-file", "/nonexistent/cluster.secret"]);
  assert.equal(noSecret.code, 2);
  assert.match(
    noSecret.err,
    /--cluster-secret-file: Cannot read the secret file \/nonexistent\/cluster.secret/,
  );
});

Deno.test("balancer program takes a dead tracker out and exits cleanly on SIGTERM", async () => {
  await using balancer = await spawnProgram("balancer", FAST);
  assert.match(balancer.addr, /^127\.0\.0\.1:\d+$/);
  await using a = new FakeTracker();
  await using b = new FakeTracker();
  await withClient(balancer.addr, async (client) => {
    await client.request("register_tracker", { addr: a.addr, clients: 1 });
    await client.request("register_tracker", { addr: b.addr, clients: 5 });
    const first = await client.request<BalancerReplies["get_tracker"]>("get_tracker");
    assert.equal(first.addr, a.addr);
    await a[Symbol.asyncDispose]();
    await client.request("report_dead", { addr: a.addr });
    await waitFor("the dead tracker to go out", async () => {
      const { trackers } = await client.request<BalancerReplies["list_trackers"]>("list_trackers");
      return trackers.find((t) => t.addr === a.addr)?.live === false ? true : undefined;
    });
    const next = await client.request<BalancerReplies["get_tracker"]>("get_tracker");
    assert.equal(next.addr, b.addr);
  });
  assert.ok(balancer.stderrLines.some((line) => line.includes(`tracker ${a.addr} is out`)));
  const status = await balancer.stop("SIGTERM");
  assert.equal(status.code, 0);
});

const trackerExists = await Deno.stat(new URL("tracker/main.ts", ROOT)).then(
  () => true,
  () => false,
);

function trackerArgs(port: string, dir: string, balancer: string): string[] {
  return ["--port", port, "--data-dir", dir, "--balancer", balancer];
}

/** The balancer takes only trackers that prove this secret. */
const SECRET = { env: { BALANCER_CLUSTER_SECRET: "s3cret", TRACKER_CLUSTER_SECRET: "s3cret" } };

async function liveOf(client: RpcClient, addr: string): Promise<boolean | undefined> {
  const { trackers } = await client.request<BalancerReplies["list_trackers"]>("list_trackers");
  return trackers.find((t) => t.addr === addr)?.live;
}

Deno.test({
  name: trackerExists
    ? "balancer hands out a real tracker, takes it out on kill -9 and back on restart"
    : "balancer with a real tracker (skipped: tracker/main.ts missing)",
  ignore: !trackerExists,
  fn: async () => {
    await using dir = await tempDir();
    await using balancer = await spawnProgram("balancer", FAST, SECRET);
    const first = await spawnProgram("tracker", trackerArgs("0", dir.path, balancer.addr), SECRET);
    const port = first.addr.slice(first.addr.lastIndexOf(":") + 1);
    try {
      await withClient(balancer.addr, async (client) => {
        const picked = await waitFor(
          "the tracker to register",
          () =>
            client.request<BalancerReplies["get_tracker"]>("get_tracker").catch(() => undefined),
        );
        assert.equal(picked.addr, first.addr);
        await first.stop("SIGKILL");
        await waitFor(
          "the killed tracker to go out",
          async () => (await liveOf(client, first.addr)) === false ? true : undefined,
        );
        await assert.rejects(client.request("get_tracker"), {
          code: "UNAVAILABLE",
          message: "No live tracker: all 1 known tracker is out",
        });
        await using again = await spawnProgram(
          "tracker",
          trackerArgs(port, dir.path, balancer.addr),
          SECRET,
        );
        await waitFor(
          "the restarted tracker to be back",
          async () => (await liveOf(client, again.addr)) === true ? true : undefined,
        );
        const reply = await client.request<BalancerReplies["get_tracker"]>("get_tracker");
        assert.equal(reply.addr, again.addr);
      });
    } finally {
      await first.stop("SIGKILL");
    }
  },
});
