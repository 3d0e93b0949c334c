/**
 * The programs from a script and a terminal: a piped client's exit status
 * says whether a command failed, `--json` keeps stdout pure JSON, the end of
 * input is announced; a tracker stops on a typed `quit` or Ctrl-C and says so.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROGRAM_PERMISSIONS } from "../protocol/programs.ts";
import { spawnProgram, tempDir } from "./harness.ts";
import { havePty, startInPty } from "./pty.ts";

const CLIENT = new URL("../client/main.ts", import.meta.url).pathname;

/** Pipes a script into a client, waits until it says input ended, stops it with SIGTERM. */
async function runScript(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PROGRAM_PERMISSIONS["client"]!, CLIENT, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  let stderr = "";
  const decoder = new TextDecoder();
  const stdoutText = new Response(child.stdout).text();
  const deadline = Date.now() + 20_000;
  try {
    for await (const chunk of child.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
      if (/input ended/.test(stderr)) break;
      if (Date.now() > deadline) break;
    }
  } finally {
    child.kill("SIGTERM");
  }
  const { code } = await child.status;
  return { code, stdout: await stdoutText, stderr };
}

Deno.test("client: a piped script ends, says it keeps seeding, exits 1 after a failed command", async () => {
  await using dir = await tempDir();
  await using tracker = await spawnProgram("tracker", ["--port", "0", "--data-dir", dir.path]);
  const args = ["--json", "--tracker", tracker.addr, "--data-dir", join(dir.path, "c")];
  const failed = await runScript("create_user ann pw-ann\nlist_groups\n", args);
  assert.match(failed.stderr, /input ended; still seeding on 127\.0\.0\.1:\d+ until stopped/);
  assert.equal(failed.code, 1, failed.stderr);
  const lines = failed.stdout.trim().split("\n");
  assert.equal(lines.length, 2);
  for (const line of lines) JSON.parse(line); // nothing but JSON on stdout
  assert.equal(JSON.parse(lines[1]!).error.code, "NOT_LOGGED_IN");

  const clean = await runScript("login ann pw-ann\nlist_groups\n", args);
  assert.equal(clean.code, 0, clean.stderr);
  assert.deepEqual(
    clean.stdout.trim().split("\n").map((l) => JSON.parse(l).ok),
    [true, true],
  );
});

Deno.test({
  name: "tracker in a terminal: typed quit stops it, Ctrl-C too, each says so and exits 0",
  ignore: !havePty(),
  fn: async () => {
    await using dir = await tempDir();
    {
      await using tracker = startInPty("tracker", ["--port", "0", "--data-dir", dir.path]);
      await tracker.waitFor(/tracker ready/);
      await tracker.type("quit\r");
      await tracker.waitFor(/tracker: stopped \(quit\)/);
      assert.equal((await tracker.status).code, 0);
    }
    await using again = startInPty("tracker", ["--port", "0", "--data-dir", dir.path]);
    await again.waitFor(/tracker ready/);
    await again.type("\x03");
    await again.waitFor(/tracker: stopped \(SIGINT\)/);
    assert.equal((await again.status).code, 0);
  },
});
