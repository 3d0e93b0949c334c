/**
 * The contract between the programs and whatever starts them (the demo, the
 * tests, the benchmarks): the permissions each needs, as in deno.json's tasks,
 * and the one line each prints when it is ready.
 */

/** Deno permission flags of each program. */
export const PROGRAM_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  tracker: ["--allow-net", "--allow-read", "--allow-write", "--allow-env"],
  client: ["--allow-net", "--allow-read", "--allow-write", "--allow-env"],
  balancer: ["--allow-net", "--allow-read", "--allow-env"],
};

/** Matches a ready line: group 1 is the program, group 2 its address. */
export const READY_LINE = /^(\w+) ready (\S+)$/;

/**
 * The line a program prints once it listens.
 * @param program "tracker", "client" or "balancer"
 * @param addr its address, host:port
 * @returns `<program> ready <addr>`
 */
export function readyLine(program: string, addr: string): string {
  return `${program} ready ${addr}`;
}
