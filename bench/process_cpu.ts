/** CPU time of benchmark processes, from Linux /proc. */

/**
 * User plus system CPU seconds so far of each process and its descendants,
 * from Linux /proc (read through `cat`: Deno lets only --allow-all read /proc).
 * @returns seconds per process, undefined for one that cannot be read
 */
export async function cpuSecondsOfTrees(pids: number[]): Promise<(number | undefined)[]> {
  const out = await new Deno.Command("sh", {
    args: ["-c", "cat /proc/[0-9]*/stat 2>/dev/null"],
    stdout: "piped",
  }).output();
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const close = line.lastIndexOf(")");
    if (close < 0) continue;
    const f = line.slice(close + 2).split(" ");
    // ppid, then utime and stime in clock ticks (100 a second)
    procs.set(Number(line.slice(0, line.indexOf(" "))), {
      ppid: Number(f[1]),
      ticks: Number(f[11]) + Number(f[12]),
    });
  }
  return pids.map((pid) => {
    if (!procs.has(pid)) return undefined;
    let ticks = 0;
    const todo = [pid];
    for (let n = 0; todo.length > 0 && n < 10_000; n++) {
      const at = todo.pop()!;
      ticks += procs.get(at)?.ticks ?? 0;
      for (const [child, p] of procs) if (p.ppid === at) todo.push(child);
    }
    return ticks / 100;
  });
}
