/**
 * Where a download goes, checked before the download is accepted: `~` is the
 * home directory; an existing directory (or a path ending in `/`) receives
 * the file under its own name; otherwise the path names a new file whose
 * directory must exist. The target must not exist yet and its directory must
 * be writable.
 */
import { basename, dirname, join, resolve } from "node:path";
import { AppError } from "../../protocol/errors.ts";

/**
 * Resolves and checks a download's destination.
 * @param destination what the user typed
 * @param name the shared file's name
 * @param cwd the directory relative paths are resolved against
 * @param home the home directory `~` stands for
 * @returns the absolute final path
 * @throws {AppError} ALREADY_EXISTS, NOT_FOUND, FORBIDDEN or BAD_REQUEST, each saying what to do
 */
export async function resolveDestination(
  destination: string,
  name: string,
  cwd: string,
  home: string | undefined = Deno.env.get("HOME"),
): Promise<string> {
  const expanded = expandHome(destination, home);
  const full = resolve(cwd, expanded);
  const asDirectory = /[/\\]$/.test(expanded) || /(^|[/\\])\.{1,2}$/.test(expanded);
  const info = await statOrNull(full);
  if (asDirectory && info === null) {
    throw new AppError(
      "NOT_FOUND",
      `Cannot download to ${full}/: no such directory; create it first or name a new file`,
    );
  }
  if (info !== null && !info.isDirectory) {
    throw new AppError(
      "ALREADY_EXISTS",
      asDirectory
        ? `Cannot download to ${full}/: it is a file, not a directory`
        : `Cannot download to ${full}: a file is already there; pick another name`,
    );
  }
  const target = info?.isDirectory ? join(full, name) : full;
  if (basename(target) === "") throw new AppError("BAD_REQUEST", "The destination names no file");
  if ((await statOrNull(target)) !== null) {
    throw new AppError(
      "ALREADY_EXISTS",
      `Cannot download to ${target}: a file is already there; pick another name`,
    );
  }
  const dir = dirname(target);
  const parent = await statOrNull(dir);
  if (parent === null || !parent.isDirectory) {
    throw new AppError(
      "NOT_FOUND",
      `Cannot download to ${target}: directory ${dir} does not exist; create it first`,
    );
  }
  await checkWritable(dir);
  return target;
}

function expandHome(path: string, home: string | undefined): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  if (home === undefined || home === "") {
    throw new AppError("BAD_REQUEST", `Cannot expand "~": HOME is not set; give a full path`);
  }
  return home + path.slice(1);
}

/** Creates and removes a probe file: the only check that also covers read-only mounts. */
async function checkWritable(dir: string): Promise<void> {
  const probe = join(dir, `.p2p-write-check-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await Deno.writeFile(probe, new Uint8Array(), { createNew: true });
    await Deno.remove(probe);
  } catch (error) {
    throw new AppError(
      "FORBIDDEN",
      `Cannot download to ${dir}: ${whyNotWritable(error)}; pick a directory you can write`,
    );
  }
}

function whyNotWritable(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/read-only/i.test(message)) return "the file system is read-only";
  if (error instanceof Deno.errors.NotCapable || /--allow-/.test(message)) {
    return "this client may not write there";
  }
  return "not writable";
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
      throw new AppError("FORBIDDEN", `Cannot download to ${path}: permission denied`);
    }
    throw error;
  }
}
