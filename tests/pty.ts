/**
 * Runs a program in a pseudo-terminal through util-linux `script -qfc`, so a
 * test sees what a person at a terminal sees (prompt, redraws, Ctrl-C) and
 * types into it. Stopped by its PID when disposed.
 */
import { PROGRAM_PERMISSIONS } from "../protocol/programs.ts";

/** A program running in a pseudo-terminal. */
export interface PtyProgram extends AsyncDisposable {
  /** Everything it wrote to the terminal so far. */
  readonly output: string;
  /** Types text (control characters included) into the terminal. */
  type(text: string): Promise<void>;
  /** Waits until the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with its exit code when it ends. */
  status: Promise<Deno.CommandStatus>;
  /** Changes the terminal's width, as dragging a window does (the program gets SIGWINCH). */
  resize(columns: number): Promise<void>;
}

/** Whether `script` (util-linux) is here to make a pseudo-terminal. */
export function havePty(): boolean {
  let found = false;
  try {
    found = new Deno.Command("script", { args: ["--version"] }).outputSync().success;
  } catch {
    // no `script` on this machine
  }
  if (!found && !toldNoPty) {
    toldNoPty = true;
    // deno-lint-ignore no-console
    console.error(
      "pty tests: SKIPPED: `script` (util-linux) is missing; install util-linux to run the " +
        "terminal tests",
    );
  }
  return found;
}

let toldNoPty = false;

const ESC = String.fromCharCode(0x1b);
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Starts a program in a terminal of the given width.
 * @returns the handle
 */
export function startInPty(
  program: string,
  args: string[],
  options: { columns?: number; cwd?: string; env?: Record<string, string> } = {},
): PtyProgram {
  const main = new URL(`../${program}/main.ts`, import.meta.url).pathname;
  const command = [
    `stty cols ${options.columns ?? 80} rows 24;`,
    "exec",
    quote(Deno.execPath()),
    "run",
    ...PROGRAM_PERMISSIONS[program]!,
    quote(main),
    ...args.map(quote),
  ].join(" ");
  const child = new Deno.Command("script", {
    args: ["-qfec", command, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", TERM: "xterm", ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stdout) output += decoder.decode(chunk, { stream: true });
  })();
  void child.stderr.cancel();
  const writer = child.stdin.getWriter();
  const status = child.status.then(async (s) => {
    await reading.catch(() => {});
    return s;
  });
  return {
    get output() {
      return output;
    },
    type: (text) => writer.write(new TextEncoder().encode(text)),
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (Date.now() > deadline) {
          throw new Error(`no ${pattern} in the terminal within ${timeoutMs} ms:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    status,
    async resize(columns) {
      const tty = await Deno.readLink(`/proc/${programPid(child.pid)}/fd/0`);
      const stty = await new Deno.Command("stty", {
        args: ["-F", tty, "cols", String(columns)],
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!stty.success) throw new Error(`stty: ${new TextDecoder().decode(stty.stderr)}`);
    },
    async [Symbol.asyncDispose]() {
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await status.finally(() => clearTimeout(timer));
      await writer.close().catch(() => {});
    },
  };
}

/** @returns the PID of the program `script` runs in the terminal (its only child) */
function programPid(scriptPid: number): number {
  const children = Deno.readTextFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`).trim();
  const pid = Number(children.split(" ")[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error("the program in the terminal is gone");
  return pid;
}

/**
 * The lines a person sees: escape sequences removed, split at every line
 * start (newline, carriage return, or a redraw that moves up a line).
 * @returns the visible lines
 */
export function visibleLines(output: string): string[] {
  return output
    // cursor up to a line start: a redraw begins
    .replace(new RegExp(`${ESC}\\[\\d*F`, "g"), "\n")
    .replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, "g"), "")
    .split(/\r\n|\n|\r/);
}
