/** Where a download goes, and the peers of a `download_file` reply as a download takes them. */
import { basename, dirname, join } from "node:path";
import { AppError } from "../../protocol/errors.ts";

/**
 * Where a download goes: into a directory under its own name, or to a new file path.
 * @returns the absolute final path
 * @throws {AppError} ALREADY_EXISTS when a file is there, NOT_FOUND when the directory is missing
 */
export async function resolveDestination(full: string, name: string): Promise<string> {
  const info = await statOrNull(full);
  const target = info?.isDirectory ? join(full, name) : full;
  if (info?.isDirectory && (await statOrNull(target)) !== null) {
    throw new AppError("ALREADY_EXISTS", `Cannot download to ${target}: a file is already there`);
  }
  if (info !== null && !info.isDirectory) {
    throw new AppError("ALREADY_EXISTS", `Cannot download to ${full}: a file is already there`);
  }
  const parent = await statOrNull(dirname(target));
  if (parent === null || !parent.isDirectory) {
    throw new AppError(
      "NOT_FOUND",
      `Cannot download to ${target}: directory ${dirname(target)} does not exist`,
    );
  }
  if (basename(target) === "") throw new AppError("BAD_REQUEST", "The destination names no file");
  return target;
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Each TLS peer's certificate by its address. */
export function certsOf(peers: { addr: string; cert?: string }[]): Record<string, string> {
  const certs: Record<string, string> = {};
  for (const peer of peers) if (peer.cert !== undefined) certs[peer.addr] = peer.cert;
  return certs;
}
