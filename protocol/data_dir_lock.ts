/**
 * One program per data directory: an exclusive advisory lock (flock) on a
 * `lock` file that holds the owner's PID. The kernel drops the lock when its
 * process ends, even by SIGKILL, so a dead owner never blocks a restart.
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

/** How long taking a free lock may take; a held one never comes, so this is the verdict. */
const LOCK_WAIT_MS = 300;

/**
 * Takes the lock of a data directory, creating the directory if missing.
 * @returns the held lock
 * @throws {DataDirLockedError} when a running process holds it
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  ensurePrivateDir(dir);
  const path = join(dir, LOCK_FILE);
  const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const locked = await Promise.race([
    file.lock(true).then(() => true),
    new Promise<false>((done) => timer = setTimeout(() => done(false), LOCK_WAIT_MS)),
  ]).finally(() => clearTimeout(timer));
  if (!locked) {
    // The pending lock() holds the file open; the caller exits, which ends it.
    throw new DataDirLockedError(dir, readHolder(path) ?? 0);
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  return heldLock(path, file);
}

function heldLock(path: string, file: Deno.FsFile): DataDirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    globalThis.removeEventListener("unload", release);
    try {
      Deno.removeSync(path);
      file.close(); // closing drops the lock
    } catch {
      // already gone
    }
  };
  // The kernel drops the lock when the process dies, however it dies; a clean
  // exit also removes the file.
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
