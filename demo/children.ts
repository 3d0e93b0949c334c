/**
 * The demo's child processes: each program runs as `deno run` with the same
 * narrow permissions as its task, its output is read line by line, and every
 * child is remembered so the demo can kill them all by PID however it ends.
 */
import { PROGRAM_PERMISSIONS, READY_LINE } from "../protocol/programs.ts";

const ROOT = new URL("../", import.meta.url);

/** One running program. */
export interface Child {
  /** A label for the narration, e.g. "tracker 2". */
  name: string;
  pid: number;
  /** The address from its ready line. */
  addr: string;
  stdoutLines: string[];
  stderrLines: string[];
  /** Calls `listener` with every stdout line from now on. */
  onStdout(listener: (line: string) => void): void;
  /** Writes a line to its stdin. */
  writeLine(line: string): Promise<void>;
  /** Sends a signal to its PID. */
  kill(signal: Deno.Signal): void;
  /** Settles when it exits. */
  status: Promise<Deno.CommandStatus>;
  /** True once it exited. */
  exited: boolean;
}

/** Options of {@link Children.start}. */
export interface StartOptions {
  /** A label for messages, e.g. "tracker 2". @default the program */
  name?: string;
  /** Where the program prints its ready line. */
  readyOn: "stdout" | "stderr";
  /** How long to wait for it. @default 30000 */
  readyTimeoutMs?: number;
  /** Run this executable (a compiled program) instead of `deno run <program>/main.ts`. */
  binary?: string;
}

/** Starts programs and kills every one of them on `killAll`. */
export class Children {
  #all: { child: Deno.ChildProcess; status: Promise<unknown> }[] = [];

  /**
   * Starts a program and waits for its ready line.
   * @param program "tracker", "client" or "balancer"
   * @param args its flags
   * @returns the running child
   * @throws {Error} when it exits or stays silent for `readyTimeoutMs`
   */
  async start(
    program: string,
    args: string[],
    options: StartOptions,
  ): Promise<Child> {
    const entry = new URL(`${program}/main.ts`, ROOT).pathname;
    const process = new Deno.Command(options.binary ?? Deno.execPath(), {
      args: options.binary !== undefined
        ? args
        : ["run", ...(PROGRAM_PERMISSIONS[program] ?? []), entry, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const stdoutLines: string[] = [];
    const stderrLines: string[] = [];
    const listeners: ((line: string) => void)[] = [];
    const pumps = [
      pumpLines(process.stdout, (line) => {
        stdoutLines.push(line);
        for (const listener of listeners) listener(line);
      }),
      pumpLines(process.stderr, (line) => stderrLines.push(line)),
    ];
    const status = process.status.then(async (s) => {
      await Promise.all(pumps);
      child.exited = true;
      return s;
    });
    this.#all.push({ child: process, status });
    const stdin = process.stdin.getWriter();
    const child: Child = {
      name: options.name ?? program,
      pid: process.pid,
      addr: "",
      stdoutLines,
      stderrLines,
      onStdout: (listener) => listeners.push(listener),
      kill: (signal) => process.kill(signal),
      writeLine: (line) => stdin.write(new TextEncoder().encode(`${line}\n`)),
      status,
      exited: false,
    };
    const lines = options.readyOn === "stdout" ? stdoutLines : stderrLines;
    child.addr = await waitForReady(child, lines, options.readyTimeoutMs ?? 30_000);
    return child;
  }

  /** Kills every child still running (SIGKILL, by PID) and waits for each to exit. */
  async killAll(): Promise<void> {
    for (const { child } of this.#all) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }
    await Promise.allSettled(this.#all.map(({ status }) => status));
  }
}

async function waitForReady(child: Child, lines: string[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !child.exited) {
    const match = lines.map((line) => READY_LINE.exec(line)).find((m) => m !== null);
    if (match) return match[2]!;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const why = child.exited ? "exited" : `was not ready after ${timeoutMs} ms`;
  const tail = child.stderrLines.slice(-5).map((line) => `    ${line}`).join("\n");
  throw new Error(`${child.name} ${why}${tail === "" ? "" : `:\n${tail}`}`);
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
