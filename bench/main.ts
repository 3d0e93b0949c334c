// deno-lint-ignore-file no-console -- a program entry point: it prints its figures.
/**
 * `deno task bench [part...]`: prints throughput, latency and memory figures.
 * Parts: tracker, transfer, cluster, failover, swarm (default: all, in that order).
 * A benchmark, not a test: it asserts nothing about speed.
 */

const PARTS = ["tracker", "transfer", "cluster", "failover", "swarm"] as const;
type Part = typeof PARTS[number];

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
    const module = await import(`./${part}.ts`) as { run(): Promise<void> };
    await module.run();
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
