/**
 * Builds the three standalone executables with `deno task compile` and runs
 * them: each prints its usage, the tracker and balancer print ready lines, and
 * two compiled clients share and download a file through the compiled tracker
 * (which also proves the piece worker is embedded).
 *
 * `deno compile` needs Deno's `denort` runtime, which it downloads from Deno's
 * release servers. Where those cannot be reached the test is skipped, visibly,
 * unless DENORT_BIN names a local copy or the runtime is already cached.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Children } from "../demo/children.ts";
import { ClientDriver } from "../demo/client_driver.ts";
import { sha256File, writeRandomFile } from "../demo/files.ts";
import { tempDir } from "./harness.ts";

const ROOT = new URL("../", import.meta.url);
const DIST = new URL("dist/", ROOT).pathname;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Finds the denort runtime: DENORT_BIN, else a copy cached in DENO_DIR by an earlier compile. */
async function findRuntime(): Promise<{ found: boolean; why: string }> {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin !== undefined && bin !== "") {
    return (await exists(bin))
      ? { found: true, why: `DENORT_BIN=${bin}` }
      : { found: false, why: `DENORT_BIN=${bin} does not exist` };
  }
  const home = Deno.env.get("HOME") ?? "";
  const denoDir = Deno.env.get("DENO_DIR") ??
    (Deno.build.os === "darwin" ? `${home}/Library/Caches/deno` : `${home}/.cache/deno`);
  const cached = join(denoDir, "dl", "release", `v${Deno.version.deno}`);
  try {
    for await (const entry of Deno.readDir(cached)) {
      if (entry.name.startsWith("denort-")) return { found: true, why: `cached ${entry.name}` };
    }
  } catch {
    // nothing cached for this version
  }
  return { found: false, why: "no denort runtime; set DENORT_BIN" };
}

const runtime = await findRuntime();
if (!runtime.found) {
  // deno-lint-ignore no-console
  console.error(
    `compile_test: skipped: ${runtime.why}. deno compile downloads the denort runtime from ` +
      "Deno's release servers; point DENORT_BIN at a local denort binary of this Deno version.",
  );
}

async function runBinary(name: string, args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(join(DIST, name), {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return { code: output.code, out: new TextDecoder().decode(output.stdout) };
}

async function compile(): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile"],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `deno task compile failed:\n${log}`);
}

Deno.test({
  name: runtime.found
    ? "compiled tracker, client and balancer run standalone"
    : `compiled tracker, client and balancer run standalone (skipped: ${runtime.why})`,
  ignore: !runtime.found,
  fn: async () => {
    await compile();
    for (const name of ["tracker", "client", "balancer"]) {
      const help = await runBinary(name, ["--help"]);
      assert.equal(help.code, 0, `${name} --help`);
      assert.match(help.out, new RegExp(`Usage:.*${name}`), `${name} --help prints its usage`);
    }
    await using dir = await tempDir("p2p-compile-");
    const children = new Children();
    try {
      await compiledFlow(children, dir.path);
    } finally {
      await children.killAll();
    }
  },
});

async function compiledFlow(children: Children, dir: string): Promise<void> {
  const binary = (name: string) => join(DIST, name);
  const balancer = await children.start("balancer", ["--port", "0"], {
    readyOn: "stdout",
    binary: binary("balancer"),
  });
  assert.match(balancer.addr, /^127\.0\.0\.1:\d+$/);
  const tracker = await children.start("tracker", [
    ...["--port", "0", "--data-dir", join(dir, "tracker"), "--balancer", balancer.addr],
  ], { readyOn: "stdout", binary: binary("tracker") });
  const client = async (user: string) => {
    const child = await children.start("client", [
      ...["--tracker", tracker.addr, "--data-dir", join(dir, user), "--json"],
    ], { name: user, readyOn: "stderr", binary: binary("client") });
    const driver = new ClientDriver(child, user);
    await driver.ok(["create_user", user, "pw"]);
    await driver.ok(["login", user, "pw"]);
    return driver;
  };
  const [owner, member] = [await client("owner"), await client("member")];
  await owner.ok(["create_group", "g"]);
  await member.ok(["join_group", "g"]);
  await owner.ok(["accept_request", "g", "member"]);
  const source = join(dir, "small.bin");
  const hash = await writeRandomFile(source, 3 * 512 * 1024 + 123);
  await owner.ok(["upload_file", source, "g"]);
  const dest = join(dir, "copy.bin");
  await member.ok(["download_file", "g", "small.bin", dest]);
  const { downloads } = await member.ok(["wait"]) as { downloads: { state: string }[] };
  assert.equal(downloads[0]?.state, "complete");
  assert.equal(await sha256File(dest), hash);
}

Deno.test({
  name: runtime.found
    ? "deno task compile offline (skipped: a runtime is at hand)"
    : "deno task compile without its runtime says how to use DENORT_BIN and leaves no dist/",
  ignore: runtime.found || await exists(DIST),
  fn: async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile"],
      cwd: ROOT.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(output.stderr);
    if (output.code === 0) {
      // Online: it downloaded the runtime and built; clean up what it made.
      await Deno.remove(DIST, { recursive: true });
      return;
    }
    assert.equal(output.code, 1, log);
    const lines = log.split("\n").filter((l) => l.startsWith("compile:"));
    assert.equal(lines.length, 1, log);
    assert.match(lines[0]!, /DENORT_BIN=\/path\/to\/denort deno task compile/);
    assert.doesNotMatch(log, /Stack backtrace|Caused by/);
    assert.equal(await exists(DIST), false, "no dist/ left behind");
  },
});
