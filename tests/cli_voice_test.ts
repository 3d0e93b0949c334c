/**
 * The three programs speak with one voice: the same usage line, `--version`,
 * one-line errors naming the flag, exit codes 0/1/2, and a hint instead of a
 * stack trace for a port in use or a data directory that cannot be used.
 */
import assert from "node:assert/strict";
import { PEER_PROTOCOL_VERSION } from "../protocol/peer_frames.ts";
import { join } from "node:path";
import { PROGRAM_PERMISSIONS } from "../protocol/programs.ts";
import { spawnProgram, tempDir } from "./harness.ts";

const PROGRAMS = ["tracker", "client", "balancer"] as const;

/** Runs a program to its end with stdin closed. */
async function runProgramOnce(
  program: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const main = new URL(`../${program}/main.ts`, import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PROGRAM_PERMISSIONS[program]!, main, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

function assertOneLine(program: string, stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `${program}: one line, got:\n${stderr}`);
  assert.match(lines[0]!, new RegExp(`^${program}: `));
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /Uncaught|\n\s+at /);
}

Deno.test("every program: -h, --help and --version, exit 0", async () => {
  for (const program of PROGRAMS) {
    for (const flag of ["-h", "--help"]) {
      const help = await runProgramOnce(program, [flag]);
      assert.equal(help.code, 0, `${program} ${flag}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage: deno task ${program} \\[options\\]`));
    }
    const version = await runProgramOnce(program, ["--version"]);
    assert.equal(version.code, 0);
    assert.match(
      version.stdout.trim(),
      new RegExp(
        `^${program} \\d+\\.\\d+\\.\\d+ \\(control protocol 1, peer protocol ${PEER_PROTOCOL_VERSION}`,
      ),
    );
  }
});

Deno.test("every program: a bad port reads the same way, exit 2, one line", async () => {
  for (const program of PROGRAMS) {
    const bad = await runProgramOnce(program, ["--port", "abc"]);
    assert.equal(bad.code, 2, program);
    assert.equal(bad.stdout, "");
    assertOneLine(program, bad.stderr, /--port: "abc" is not a port number \(0-65535\)/);
    const negative = await runProgramOnce(program, ["--port", "-1"]);
    assert.equal(negative.code, 2, program);
    assertOneLine(program, negative.stderr, /--port: "-1" looks like a flag.*--port=-1/);
    assert.doesNotMatch(negative.stderr, /ambiguous/);
    const unknown = await runProgramOnce(program, ["--frobnicate"]);
    assert.equal(unknown.code, 2, program);
    assertOneLine(program, unknown.stderr, /--frobnicate: unknown flag/);
  }
});

Deno.test("every program: a port in use is one line that says what to do, exit 1", async () => {
  using holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(holder.addr.port);
  await using dir = await tempDir();
  for (const program of PROGRAMS) {
    const args = ["--port", port];
    if (program !== "balancer") args.push("--data-dir", join(dir.path, program));
    const run = await runProgramOnce(program, args);
    assert.equal(run.code, 1, `${program}: ${run.stderr}`);
    assertOneLine(program, run.stderr.replace(/^client ready.*\n/m, ""), /port is in use.*--port/);
  }
});

Deno.test("tracker and client: a data dir that is a file is one line, exit 1", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "not-a-dir");
  await Deno.writeTextFile(file, "x");
  for (const program of ["tracker", "client"]) {
    const run = await runProgramOnce(program, ["--port", "0", "--data-dir", file]);
    assert.equal(run.code, 1, `${program}: ${run.stderr}`);
    assertOneLine(program, run.stderr, /--data-dir .*not-a-dir.*pick another path/);
  }
});

Deno.test("tracker and client: a second one on a data dir is refused naming the holder's PID", async () => {
  await using dir = await tempDir();
  const trackerDir = join(dir.path, "tracker");
  await using first = await spawnProgram("tracker", ["--port", "0", "--data-dir", trackerDir]);
  const second = await runProgramOnce("tracker", ["--port", "0", "--data-dir", trackerDir]);
  assert.equal(second.code, 1);
  assertOneLine("tracker", second.stderr, new RegExp(`in use by process ${first.pid}\\b`));

  const clientDir = join(dir.path, "client");
  const clientArgs = ["--port", "0", "--data-dir", clientDir, "--tracker", first.addr];
  const client = await spawnProgram("client", ["--json", ...clientArgs], {
    readyStream: "stderr",
  });
  const refused = await runProgramOnce("client", clientArgs);
  assert.equal(refused.code, 1);
  assertOneLine("client", refused.stderr, new RegExp(`in use by process ${client.pid}\\b`));
  // Killed outright, the holder leaves no lock behind: the next start takes it.
  await client.stop("SIGKILL");
  await using again = await spawnProgram("client", ["--json", ...clientArgs], {
    readyStream: "stderr",
  });
  assert.match(again.addr, /^127\.0\.0\.1:\d+$/);
});

Deno.test("tracker: the original form `tracker tracker_info.txt 1` starts tracker 1", async () => {
  await using dir = await tempDir();
  using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const info = join(dir.path, "tracker_info.txt");
  await Deno.writeTextFile(info, `127.0.0.1:${port}\n`);
  await using tracker = await spawnProgram("tracker", [info, "1", "--data-dir", dir.path]);
  assert.equal(tracker.addr, `127.0.0.1:${port}`);
  const missingId = await runProgramOnce("tracker", [info]);
  assert.equal(missingId.code, 2);
  assertOneLine("tracker", missingId.stderr, /needs the tracker's id after it/);
});

Deno.test("client: the original form `client IP:PORT tracker_info.txt` seeds on IP:PORT", async () => {
  await using dir = await tempDir();
  await using tracker = await spawnProgram("tracker", ["--port", "0", "--data-dir", dir.path]);
  const info = join(dir.path, "tracker_info.txt");
  await Deno.writeTextFile(info, `${tracker.addr}\n`);
  using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seeder = `127.0.0.1:${probe.addr.port}`;
  probe.close();
  await using client = await spawnProgram(
    "client",
    ["--json", "--data-dir", join(dir.path, "c"), seeder, info],
    { readyStream: "stderr" },
  );
  assert.equal(client.addr, seeder);
  const bad = await runProgramOnce("client", ["nonsense"]);
  assert.equal(bad.code, 2);
  assertOneLine("client", bad.stderr, /is not the seeder's address IP:PORT/);
});

Deno.test("tracker --status with nothing there is one line, exit 1", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const addr = `127.0.0.1:${probe.addr.port}`;
  probe.close();
  const run = await runProgramOnce("tracker", ["--status", addr]);
  assert.equal(run.code, 1);
  assertOneLine("tracker", run.stderr, /--status: .*is a tracker running there\?/);
});
