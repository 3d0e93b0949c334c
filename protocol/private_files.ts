/**
 * Files a program keeps for itself (op logs, registries, keys) are readable
 * by their owner only: 0600 in a 0700 directory. SQLite creates its `-wal`
 * and `-shm` files with the mode of the database file, so the database is
 * made 0600 before SQLite opens it; files left by an older version are
 * tightened too.
 */

/** The mode of a private directory. */
export const PRIVATE_DIR_MODE = 0o700;
/** The mode of a private file. */
export const PRIVATE_FILE_MODE = 0o600;

const SQLITE_SIDE_FILES = ["-wal", "-shm", "-journal"];

/**
 * Creates a directory (and its parents) if missing, and makes it 0700.
 * @param dir the directory
 * @throws {Deno.errors.PermissionDenied} when it belongs to someone else
 */
export function ensurePrivateDir(dir: string): void {
  Deno.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodIfNeeded(dir, PRIVATE_DIR_MODE);
}

/**
 * Makes a SQLite database file private before it is opened: creates it empty
 * with mode 0600 if missing, and makes it and its side files 0600.
 * @param path the database file
 */
export function preparePrivateDatabase(path: string): void {
  const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
  file.close();
  chmodIfNeeded(path, PRIVATE_FILE_MODE);
  for (const suffix of SQLITE_SIDE_FILES) chmodIfNeeded(path + suffix, PRIVATE_FILE_MODE);
}

function chmodIfNeeded(path: string, mode: number): void {
  let current: number | null;
  try {
    current = Deno.statSync(path).mode;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (current !== null && (current & 0o777) !== mode) Deno.chmodSync(path, mode);
}

/**
 * Makes every file this process creates from now on private (umask 077).
 * Programs call it first thing; the library modules also set modes
 * themselves, since a library caller keeps its own umask.
 */
export function restrictUmask(): void {
  try {
    // Asked without the permission, Deno would stop at a prompt in a terminal.
    if (Deno.permissions.querySync({ name: "sys", kind: "umask" }).state !== "granted") return;
    Deno.umask(0o077);
  } catch {
    // not supported on this platform (Windows): modes are set file by file
  }
}
