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
