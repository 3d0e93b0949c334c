/**
 * The open-files limit against the connection cap. Deno raises its soft
 * limit to the hard one when it starts, which is as far as a process may go;
 * past that the tracker can only say so, at start, with what to do. Deno
 * does not let a program read its limits (/proc/self needs every
 * permission), so the tracker counts how many more files it can open.
 */

/** File descriptors the tracker needs besides client connections: op log, links, listeners. */
export const RESERVED_FILES = 64;

/**
 * The warning to print when the files this process can still open leave
 * room for fewer connections than the cap.
 * @param room how many more files it could open (at most cap + RESERVED_FILES counted)
 * @returns the line, or undefined when there is room enough
 */
export function openFilesWarning(room: number, maxConnections: number): string | undefined {
  if (room - RESERVED_FILES >= maxConnections) return undefined;
  const connections = Math.max(0, room - RESERVED_FILES);
  return `the open-files limit leaves room for about ${connections} connections, ` +
    `fewer than --max-connections ${maxConnections}: raise it (ulimit -n ${
      maxConnections + RESERVED_FILES + 100
    }, or LimitNOFILE= in a systemd unit) or lower the cap`;
}

/**
 * Counts how many more files this process can open, up to `most`, by
 * opening /dev/null that many times and closing them all again (20,000
 * take about a fifth of a second, once, at start).
 * @returns the count; `most` when the limit is not reached
 */
export function roomForFiles(most: number): number {
  const files: Deno.FsFile[] = [];
  try {
    while (files.length < most) files.push(Deno.openSync("/dev/null"));
  } catch {
    // EMFILE (or no /dev/null): the count so far is the room there is.
  } finally {
    for (const file of files) file.close();
  }
  return files.length;
}
