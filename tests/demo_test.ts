/**
 * Runs `deno task demo` (plain and `--tls`) as a user would and checks what
 * it promises: the download survives its tracker's SIGKILL with the SHA-256
 * matching, and nothing is left behind (processes or temporary directory).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const PERMISSIONS = ["--allow-run", "--allow-net", "--allow-read", "--allow-write", "--allow-env"];

const STORY = [
  /^\[demo\] balancer ready at 127\.0\.0\.1:\d+/m,
  /^\[demo\] balancer dashboard http:\/\/127\.0\.0\.1:\d+\/ /m,
  /^\[demo\] tracker 3 ready at 127\.0\.0\.1:\d+/m,
  /^\[demo\] bob shares the same file too: now 2 seeders/m,
  /^\[demo\] killed tracker \d at \S+ \(pid \d+\) with SIGKILL/m,
  /^\[demo\] carol's next command, list_files, was answered/m,
  /^\[demo\] carol's client said: notice: tracker \S+ stopped answering; now using \S+/m,
  /^\[demo\] carol's download finished/m,
  /^\[demo\] SHA-256 matched: [0-9a-f]{64}$/m,
  /^\[demo\] demo succeeded$/m,
];

async function runDemoAndCheck(args: string[], patterns: RegExp[]): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, new URL("demo/main.ts", ROOT).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const context = `stdout:\n${stdout}\nstderr:\n${stderr}`;
  assert.equal(output.code, 0, context);
  for (const pattern of patterns) assert.match(stdout, pattern, context);
  const dir = /^\[demo\] working in (\S+)$/m.exec(stdout)?.[1];
  assert.ok(dir !== undefined, context);
  await assert.rejects(Deno.stat(dir), Deno.errors.NotFound, "the temporary directory is removed");
  // Nothing left running: neither the programs whose pid the demo printed
  // (balancer and trackers) nor any process started with the demo's directory
  // on its command line (the clients).
  const pids = new Set([...stdout.matchAll(/\(pid (\d+)\)/g)].map((m) => m[1]!));
  assert.ok(pids.size >= 4, `pids printed: ${[...pids]}\n${context}`);
  assert.match(await commandLineOf("self"), /deno/, "this check can read command lines");
  for (const pid of pids) {
    const commandLine = await commandLineOf(pid);
    assert.ok(!commandLine.includes(ROOT.pathname), `process ${pid} was left running`);
  }
  const leftovers: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    if ((await commandLineOf(entry.name)).includes(dir)) leftovers.push(entry.name);
  }
  assert.deepEqual(leftovers, [], "processes still running in the demo's directory");
}

Deno.test("demo shares, downloads through a tracker kill, verifies and cleans up", async () => {
  await runDemoAndCheck([], STORY);
});

Deno.test("demo --tls runs the same story with every connection over TLS", async () => {
  await runDemoAndCheck(["--tls"], [
    /^\[demo\] made a cluster CA and tracker and balancer certificates in \S+/m,
    /^\[demo\] the balancer and trackers serve TLS; every link between them is TLS too$/m,
    ...STORY,
  ]);
});

/** A process's command line, or "" when it is gone. */
async function commandLineOf(pid: string): Promise<string> {
  const bytes = await Deno.readFile(`/proc/${pid}/cmdline`).catch(() => new Uint8Array());
  return new TextDecoder().decode(bytes).replaceAll("\0", " ");
}

Deno.test("demo --keep leaves the cluster and its dashboards running until Ctrl-C", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      new URL("demo/main.ts", ROOT).pathname,
      "--keep",
      "--size-mib",
      "2",
    ],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  let dir: string | undefined;
  try {
    const deadline = Date.now() + 120_000;
    while (!stdout.includes("Ctrl-C stops everything") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    dir = /^\[demo\] working in (\S+)$/m.exec(stdout)?.[1];
    assert.match(stdout, /^\[demo\] demo succeeded$/m, stdout);
    const url = /^\[demo\] {3}balancer: (http:\S+)$/m.exec(stdout)?.[1];
    assert.ok(url !== undefined, stdout);
    // The story is over, and the cluster is still there to watch.
    const view = await (await fetch(new URL("view.json", url))).json();
    assert.match(view.summary, /^2 of 3 trackers live/);
    assert.match(stdout, /^\[demo\] {3}carol's client: http:\S+$/m);
    child.kill("SIGINT");
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    assert.equal((await child.status).code, 0, stdout);
    assert.match(stdout, /^\[demo\] stopped every process; kept \S+$/m);
    await assert.rejects(fetch(new URL("view.json", url)), "the balancer stopped");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await reader.cancel().catch(() => {});
    await child.status;
    if (dir !== undefined) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
