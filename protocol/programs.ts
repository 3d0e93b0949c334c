/**
 * The contract between the programs and whatever starts them (the demo, the
 * tests, the benchmarks): the permissions each needs, as in deno.json's tasks,
 * the one line each prints when it is ready, and the signals that stop it.
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

/**
 * Waits for SIGINT or SIGTERM, which no longer end the process by themselves:
 * a program's `main()` closes its server cleanly, then exits.
 * @returns the signal that came
 */
export async function untilSignal(): Promise<Deno.Signal> {
  const stopped = Promise.withResolvers<Deno.Signal>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const listeners = signals.map((signal) => {
    const listener = () => stopped.resolve(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  const signal = await stopped.promise;
  for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
  return signal;
}

/**
 * Waits for SIGINT, SIGTERM or, when stdin is a terminal, a typed `quit`
 * (or `exit`) line; the end of input alone does not stop a server.
 * @returns what stopped it: the signal's name or `quit`
 */
export async function untilStopped(): Promise<string> {
  if (!Deno.stdin.isTerminal()) return await untilSignal();
  const typed = (async () => {
    const decoder = new TextDecoder();
    let line = "";
    for await (const chunk of Deno.stdin.readable) {
      line += decoder.decode(chunk, { stream: true });
      const lines = line.split("\n");
      line = lines.pop()!;
      if (lines.some((l) => /^\s*(quit|exit)\s*$/.test(l))) return "quit";
    }
    return await new Promise<string>(() => {}); // input closed: only a signal stops it now
  })();
  return await Promise.race([untilSignal(), typed]);
}
