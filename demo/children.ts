/**
 * The demo's child processes, started through the same harness as the tests
 * (tests/harness.ts): each program runs with the same narrow permissions as
 * its task, its output is read line by line, and every child is remembered so
 * the demo can stop them all by PID however it ends.
 */
import { type ProgramHandle, spawnProgram } from "../tests/harness.ts";

/** One running program. */
export interface Child extends ProgramHandle {
  /** A label for the narration, e.g. "tracker 2". */
  name: string;
  /** Writes a line to its stdin. */
  writeLine(line: string): Promise<void>;
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

/** Starts programs and stops every one of them on `killAll`. */
export class Children {
  #all: ProgramHandle[] = [];

  /**
   * Starts a program and waits for its ready line.
   * @param program "tracker", "client" or "balancer"
   * @param args its flags
   * @returns the running child
   * @throws {Error} when it exits or stays silent for `readyTimeoutMs`
   */
  async start(program: string, args: string[], options: StartOptions): Promise<Child> {
    const name = options.name ?? program;
    let handle: ProgramHandle;
    try {
      handle = await spawnProgram(program, args, {
        readyStream: options.readyOn,
        readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
        ...(options.binary === undefined ? {} : { binary: options.binary }),
      });
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`);
    }
    this.#all.push(handle);
    return Object.assign(handle, {
      name,
      writeLine: (line: string) => handle.send(`${line}\n`),
    });
  }

  /** Stops every child still running (by PID, as the harness stops it) and waits for each. */
  async killAll(): Promise<void> {
    await Promise.allSettled(this.#all.map((child) => child.stop("SIGKILL")));
  }
}
