/**
 * `deno task compile`: builds dist/tracker, dist/client and dist/balancer
 * with `deno compile`. When the runtime it needs (`denort`) cannot be
 * downloaded, it says in one line how to build offline with `DENORT_BIN`,
 * removes the `dist/` it started, and exits 1.
 */
import { PROGRAM_PERMISSIONS } from "../protocol/programs.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DIST = `${ROOT}dist`;

/** What each executable is built from. */
const TARGETS: { name: string; entry: string; include?: string }[] = [
  { name: "tracker", entry: "tracker/main.ts" },
  { name: "client", entry: "client/main.ts", include: "client/transfer/piece_worker.ts" },
  { name: "balancer", entry: "balancer/main.ts" },
];

/** A failed `deno compile` that could not fetch its runtime. */
function missingRuntime(output: string): boolean {
  return /denort|dl\.deno\.land/.test(output) &&
    /error sending request|dns error|failed to lookup|Connect|timed out|offline/i.test(output);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const runtime = Deno.env.get("DENORT_BIN") ?? "";
  if (runtime !== "" && !exists(runtime)) {
    // deno-lint-ignore no-console
    console.error(
      `compile: DENORT_BIN=${runtime} does not exist; point it at a denort ${Deno.version.deno} binary`,
    );
    return 1;
  }
  const hadDist = exists(DIST);
  for (const target of TARGETS) {
    const args = [
      "compile",
      ...PROGRAM_PERMISSIONS[target.name]!,
      ...(target.include === undefined ? [] : ["--include", target.include]),
      "--output",
      `dist/${target.name}`,
      target.entry,
    ];
    const result = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT }).output();
    if (result.success) continue;
    const output = new TextDecoder().decode(result.stderr);
    if (!hadDist) await Deno.remove(DIST, { recursive: true }).catch(() => {});
    // deno-lint-ignore no-console
    console.error(
      missingRuntime(output)
        ? `compile: cannot download Deno's runtime (denort ${Deno.version.deno}); offline, run ` +
          `DENORT_BIN=/path/to/denort deno task compile with a denort ${Deno.version.deno} binary`
        : `compile: building dist/${target.name} failed:\n${output.trim()}`,
    );
    return 1;
  }
  // deno-lint-ignore no-console
  console.log("compile: built dist/tracker, dist/client and dist/balancer");
  return 0;
}

if (import.meta.main) Deno.exit(await main());
