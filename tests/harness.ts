/**
 * The one way tests, the demo (demo/children.ts) and the benchmarks start
 * real programs: spawn `deno run` on a program's entry point (or a compiled
 * executable), wait for its ready line, and always stop it by its PID.
 *
 * @example
 * ```ts ignore
 * await using tracker = await spawnProgram("tracker", ["--port", "0", "--data-dir", dir]);
 * tracker.addr; // "127.0.0.1:41234"
 * ```
 */
import { PROGRAM_PERMISSIONS, READY_LINE } from "../protocol/programs.ts";

const ROOT = new URL("../", import.meta.url);
/** How long a stopped program may take to exit before it is killed. */
const STOP_GRACE_MS = 5_000;

/** A running program. */
export interface ProgramHandle extends AsyncDisposable {
  /** The address from its ready line. */
  addr: string;
  pid: number;
  child: Deno.ChildProcess;
  /** Every stdout line read so far (after the ready line too). */
  stdoutLines: string[];
  /** Every stderr line read so far. */
  stderrLines: string[];
  /** Waits for a stdout line matching `pattern` (already seen lines count). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Calls `listener` with every stdout line from now on. */
  onStdout(listener: (line: string) => void): void;
  /** Writes text to its stdin. */
  send(text: string): Promise<void>;
  /** Sends a signal to its PID without waiting. */
  kill(signal: Deno.Signal): void;
  /** True once it has exited and its output is read. */
  readonly exited: boolean;
  /** Sends a signal (default SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Resolves when it exits. */
  status: Promise<Deno.CommandStatus>;
}

/** Options of {@link spawnProgram}. */
export interface SpawnOptions {
  /** How long to wait for the ready line. @default 20000 */
  readyTimeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Entry point relative to the repo root. @default `${program}/main.ts` */
  entry?: string;
  /** Wait for the ready line on this stream. @default "stdout" */
  readyStream?: "stdout" | "stderr";
  /** Run this executable (a compiled program) with `args` instead of `deno run`. */
  binary?: string;
}

/**
 * Starts a program and waits for its ready line (`<name> ready <addr>`).
 * @param program "tracker", "client" or "balancer"
 * @param args its command-line flags
 * @returns a handle that stops the program when disposed
 * @throws {Error} when it exits or stays silent before getting ready
 */
export async function spawnProgram(
  program: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<ProgramHandle> {
  const entry = new URL(options.entry ?? `${program}/main.ts`, ROOT).pathname;
  const child = new Deno.Command(options.binary ?? Deno.execPath(), {
    args: options.binary !== undefined
      ? args
      : ["run", ...(PROGRAM_PERMISSIONS[program] ?? ["--allow-all"]), entry, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  const stdoutLines: string[] = [];
  const stderrLines: string[] = [];
  const waiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  const listeners: ((line: string) => void)[] = [];
  const onLine = (lines: string[]) => (line: string) => {
    lines.push(line);
    if (lines !== stdoutLines) return;
    for (const listener of listeners) listener(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  const pumps = [
    pumpLines(child.stdout, onLine(stdoutLines)),
    pumpLines(child.stderr, onLine(stderrLines)),
  ];
  let exited = false;
  const status = child.status.then(async (s) => {
    await Promise.all(pumps);
    exited = true;
    return s;
  });
  const writer = child.stdin.getWriter();
  let stopped = false;

  const waitForLine = (pattern: RegExp, timeoutMs = 20_000, lines = stdoutLines) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`${program}: no line matching ${pattern} in ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        pattern,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      waiters.push(waiter);
      status.then(() => {
        if (!waiters.includes(waiter)) return;
        waiters.splice(waiters.indexOf(waiter), 1);
        clearTimeout(timer);
        reject(
          new Error(`${program} exited before printing ${pattern}:\n${stderrLines.join("\n")}`),
        );
      });
    });
  };

  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
  };
  // SIGTERM first so the program exits on its own and writes its coverage;
  // SIGKILL only if it is still running after the grace period.
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    if (!stopped) {
      stopped = true;
      await writer.close().catch(() => {});
      kill(signal);
      if (signal !== "SIGKILL") {
        const timer = setTimeout(() => kill("SIGKILL"), STOP_GRACE_MS);
        await status.finally(() => clearTimeout(timer));
      }
    }
    return await status;
  };

  let addr: string;
  try {
    if ((options.readyStream ?? "stdout") === "stdout") {
      addr = READY_LINE.exec(await waitForLine(READY_LINE, options.readyTimeoutMs ?? 20_000))![2]!;
    } else {
      addr = await waitForStderrReady(stderrLines, status, options.readyTimeoutMs ?? 20_000);
    }
  } catch (error) {
    await stop("SIGKILL");
    throw error;
  }

  return {
    addr,
    pid: child.pid,
    child,
    stdoutLines,
    stderrLines,
    waitForLine: (pattern, timeoutMs) => waitForLine(pattern, timeoutMs),
    onStdout: (listener) => listeners.push(listener),
    send: (text) => writer.write(new TextEncoder().encode(text)),
    kill: (signal) => child.kill(signal),
    get exited() {
      return exited;
    },
    stop,
    status,
    [Symbol.asyncDispose]: async () => {
      await stop("SIGTERM");
    },
  };
}

async function waitForStderrReady(
  lines: string[],
  status: Promise<Deno.CommandStatus>,
  timeoutMs: number,
): Promise<string> {
  let exited = false;
  status.then(() => exited = true);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    const line = lines.find((l) => READY_LINE.test(l));
    if (line !== undefined) return READY_LINE.exec(line)![2]!;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ready line on stderr:\n${lines.join("\n")}`);
}

async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const part of parts) onLine(part);
    }
  } catch {
    // the process died mid-line
  }
  if (rest !== "") onLine(rest);
}

/**
 * Makes a temporary directory removed when disposed.
 * @returns its path and a disposer
 */
export async function tempDir(prefix = "p2p-test-"): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}
