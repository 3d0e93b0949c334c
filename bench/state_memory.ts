/**
 * State memory benchmark: the heap the tracker state takes for 100,000
 * users, 100,000 groups and 100,000 shared files of 1 GiB (2,048 pieces
 * each), built from the ops trackers replicate, each in its own process
 * with the garbage collector run before and after. Files are measured at
 * 20,000 and scaled, to keep the run short (hashing their ops dominates).
 */
import { table } from "./tracker.ts";

const PROBE = new URL("./state_memory_probe.ts", import.meta.url).pathname;
const PER = 100_000;
const KINDS: [string, number][] = [["users", PER], ["groups", PER], ["files", 20_000]];

async function probe(kind: string, count: number): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", PROBE, kind, String(count)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "{}";
  return (JSON.parse(line) as { bytes: number }).bytes;
}

/** Runs the probes and prints their table. */
export async function run(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const [kind, count] of KINDS) {
    const bytes = await probe(kind, count);
    rows.push([
      kind,
      String(count),
      (bytes * (PER / count)) / (1024 * 1024),
      String(Math.round(bytes / count)),
    ]);
  }
  // deno-lint-ignore no-console
  console.log(table(["state of", "measured", "MiB per 100k", "bytes each"], rows));
}
