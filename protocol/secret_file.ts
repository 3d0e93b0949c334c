/**
 * Reads a shared secret (the cluster secret) from a file: a secret on the
 * command line shows in the process list, one in a file does not. The file
 * must be readable by its owner only, like an SSH key.
 */

/**
 * Reads a secret from a file: its text, trimmed.
 * @param path the file
 * @returns the secret
 * @throws {Error} when the file cannot be read, is empty, or can be read by its group or others
 */
export function readSecretFile(path: string): string {
  let text: string;
  let mode: number | null;
  try {
    mode = Deno.statSync(path).mode;
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`Cannot read the secret file ${path}: ${(error as Error).message}`);
  }
  if (mode !== null && (mode & 0o077) !== 0) {
    throw new Error(
      `The secret file ${path} can be read by others (mode ${(mode & 0o777).toString(8)}): ` +
        `run chmod 600 ${path}`,
    );
  }
  const secret = text.trim();
  if (secret === "") throw new Error(`The secret file ${path} is empty`);
  return secret;
}
