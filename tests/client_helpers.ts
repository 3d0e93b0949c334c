/**
 * Helpers for client scenario tests: start a client process in `--json`
 * mode, send it one command line and read back its one JSON result.
 */
import { type ProgramHandle, spawnProgram } from "./harness.ts";

/** One parsed result line of `--json` mode. */
export interface JsonResult {
  ok: boolean;
  cmd: string | null;
  // deno-lint-ignore no-explicit-any
  data?: any;
  error?: { code: string; message: string };
}

/** A client process driven through its stdin. */
export interface ClientProc extends AsyncDisposable {
  proc: ProgramHandle;
  /** Sends one command line and returns its result. */
  cmd(line: string, timeoutMs?: number): Promise<JsonResult>;
  /** Like cmd, but fails the test unless the result is ok; returns its data. */
  // deno-lint-ignore no-explicit-any
  ok(line: string, timeoutMs?: number): Promise<any>;
}

/** Short heartbeats so failover tests stay fast. */
export const FAST_HEARTBEAT = [
  "--heartbeat-interval",
  "200",
  "--heartbeat-timeout",
  "800",
  "--connect-timeout",
  "800",
];

/**
 * Starts a client with `--json` and its own data directory.
 * @param dataDir the client's registry directory
 * @param args more flags (trackers, balancers)
 * @returns a handle that kills the client when disposed
 */
export async function startClientProc(dataDir: string, args: string[]): Promise<ClientProc> {
  const proc = await spawnProgram("client", ["--json", "--data-dir", dataDir, ...args], {
    readyStream: "stderr",
  });
  let consumed = proc.stdoutLines.length;
  const cmd = async (line: string, timeoutMs = 20_000): Promise<JsonResult> => {
    const index = consumed++;
    await proc.send(line + "\n");
    const deadline = Date.now() + timeoutMs;
    while (proc.stdoutLines.length <= index) {
      if (Date.now() > deadline) {
        throw new Error(
          `no answer to "${line}" in ${timeoutMs} ms:\n${proc.stderrLines.join("\n")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return JSON.parse(proc.stdoutLines[index]!) as JsonResult;
  };
  const ok = async (line: string, timeoutMs?: number) => {
    const result = await cmd(line, timeoutMs);
    if (!result.ok) throw new Error(`"${line}" failed: ${JSON.stringify(result.error)}`);
    return result.data;
  };
  return { proc, cmd, ok, [Symbol.asyncDispose]: () => proc[Symbol.asyncDispose]() };
}

/**
 * Polls until `check` returns true (bounded).
 * @throws {Error} after `timeoutMs`
 */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Writes a file of `size` deterministic pseudo-random bytes.
 * @returns the bytes written
 */
export async function writeTestFile(path: string, size: number, seed = 1): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  await Deno.writeFile(path, bytes);
  return bytes;
}

/**
 * Creates and logs in one user per client, has the first create `group`, and
 * the others join and get accepted.
 */
export async function setUpGroup(
  clients: readonly ClientProc[],
  names: readonly string[],
  group: string,
): Promise<void> {
  await Promise.all(clients.map(async (c, i) => {
    await c.ok(`create_user ${names[i]} pw-${names[i]}`);
    await c.ok(`login ${names[i]} pw-${names[i]}`);
  }));
  const [owner, ...others] = clients;
  await owner!.ok(`create_group ${group}`);
  for (const [i, c] of others.entries()) {
    await c.ok(`join_group ${group}`);
    await owner!.ok(`accept_request ${group} ${names[i + 1]}`);
  }
}
