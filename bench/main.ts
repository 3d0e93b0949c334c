// deno-lint-ignore-file no-console -- a program entry point: it prints its figures.
/**
 * `deno task bench [part...]`: prints throughput, latency and memory figures.
 * Parts: tracker, transfer, cluster, failover, swarm (default: all, in that order).
 * A benchmark, not a test: it asserts nothing about speed.
 */

const PARTS = ["tracker", "transfer", "cluster", "failover", "swarm"] as const;
type Part = typeof PARTS[number];

/** The modules of each part and the function each runs, in order. */
const STEPS: Record<Part, [module: string, run: string][]> = {
  tracker: [
    ["./tracker.ts", "run"],
    ["./idle_clients.ts", "run"],
    ["./state_memory.ts", "run"],
    ["./restart_bench.ts", "runRestart"],
  ],
  transfer: [["./transfer.ts", "run"]],
  cluster: [["./cluster_bench.ts", "run"], ["./restart_bench.ts", "runCatchUp"]],
  failover: [["./failover.ts", "run"]],
  swarm: [["./swarm.ts", "run"]],
};

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      `Usage: deno task bench [${
        PARTS.join("|")
      } ...]\n\nRuns the named parts (all by default) and prints their figures.`,
    );
    return 0;
  }
  const unknown = args.filter((a) => !(PARTS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(`bench: unknown part "${unknown[0]}"; choose from ${PARTS.join(", ")}`);
    return 2;
  }
  const parts: Part[] = args.length > 0 ? (args as Part[]) : [...PARTS];
  for (const part of parts) {
    console.log(`\n== ${part} ==`);
    for (const [path, name] of STEPS[part]) {
      const module = await import(path) as Record<string, () => Promise<void>>;
      await module[name]!();
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
