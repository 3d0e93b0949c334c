import assert from "node:assert/strict";
import { spawnProgram, tempDir } from "./harness.ts";
import { waitFor } from "./tracker_helpers.ts";

const MAIN = new URL("../tracker/main.ts", import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-write", "--allow-env", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("tracker main refuses bad flags with one line and exit code 2", async () => {
  const cases = [
    ["--bogus"],
    ["--port", "70000"],
    ["--id", "0"],
    ["--peer", "nowhere", "--id", "2"],
    ["--peer", "127.0.0.1:1"],
    ["--peer", "127.0.0.1:1", "--id", "2"],
    ["--trackers", "/nonexistent/tracker_info.txt", "--id", "1"],
    ["--max-clock-skew", "0"],
    ["--max-clock-skew", "ten"],
    ["--max-connections", "0"],
    ["--max-connections", "many"],
  ];
  for (const args of cases) {
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.equal(stdout, "");
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^tracker: /);
  }
});

Deno.test("tracker main prints --help and a running tracker's --status", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--cluster-secret/);
  await using dir = await tempDir();
  await using tracker = await spawnProgram("tracker", ["--port", "0", "--data-dir", dir.path]);
  const status = await run(["--status", tracker.addr]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`tracker 1 at ${tracker.addr}`));
  assert.match(status.stdout, /no cluster links/);
});

Deno.test("tracker main says at start when the open-files limit is below --max-connections", async () => {
  await using dir = await tempDir();
  const cap = 900_000; // above the open-files limit of any test machine
  await using tracker = await spawnProgram("tracker", [
    "--port",
    "0",
    "--data-dir",
    dir.path,
    "--max-connections",
    String(cap),
  ]);
  await waitFor(() =>
    tracker.stderrLines.some((line) => line.includes("open-files limit")) || undefined
  );
  assert.ok(
    tracker.stderrLines.some((line) =>
      /^tracker: the open-files limit leaves room for about \d+ connections, fewer than --max-connections 900000/
        .test(line)
    ),
    tracker.stderrLines.join("\n"),
  );
});
