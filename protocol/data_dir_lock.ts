/**
 * One program per data directory: a `lock` file holding the owner's PID,
 * created exclusively. A lock whose PID no longer runs (the owner was killed)
 * is taken over; the lock is removed on close and on any exit of the process.
 */
import { join } from "node:path";
import { ensurePrivateDir } from "./private_files.ts";

/** The lock file's name inside the data directory. */
export const LOCK_FILE = "lock";

/** Another running program holds the directory. */
export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  /** The PID of the holder. */
  readonly holderPid: number;
  constructor(dir: string, holderPid: number) {
    super(
      `data directory ${dir} is in use by process ${holderPid}; ` +
        `stop it first or give another --data-dir`,
    );
    this.holderPid = holderPid;
  }
}

/** A held lock. */
export interface DataDirLock {
  /** Removes the lock file (once; later calls do nothing). */
  release(): void;
}

/**
 * Takes the lock of a data directory, creating the directory if missing.
 * @param isRunning tells whether a PID is alive (tests replace it)
 * @returns the held lock
 * @throws {DataDirLockedError} when a live process holds it
 */
export function lockDataDir(
  dir: string,
  isRunning: (pid: number) => boolean = pidRuns,
): DataDirLock {
  ensurePrivateDir(dir);
  const path = join(dir, LOCK_FILE);
  // Two tries: the second after removing a lock its dead holder left behind.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      Deno.writeTextFileSync(path, `${Deno.pid}\n`, { createNew: true, mode: 0o600 });
      return heldLock(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = readHolder(path);
    if (holder !== undefined && isRunning(holder)) throw new DataDirLockedError(dir, holder);
    Deno.removeSync(path);
  }
  throw new DataDirLockedError(dir, readHolder(path) ?? 0);
}

function heldLock(path: string): DataDirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    globalThis.removeEventListener("unload", release);
    try {
      if (readHolder(path) === Deno.pid) Deno.removeSync(path);
    } catch {
      // already gone
    }
  };
  // Deno.exit() fires "unload": the lock goes with the process however it ends.
  globalThis.addEventListener("unload", release);
  return { release };
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number(Deno.readTextFileSync(path).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a PID runs, from /proc where there is one; elsewhere any holder counts as alive. */
function pidRuns(pid: number): boolean {
  try {
    Deno.statSync("/proc/self");
  } catch {
    return true;
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
