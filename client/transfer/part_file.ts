/**
 * The `.part` file of a download, as the main thread sees it: opened (and
 * created) at its final size, and finally renamed into place. The workers
 * write to it through handles of their own.
 */

/** An open `.part` file. */
export class PartFile {
  /** Its path. */
  readonly path: string;
  #file: Deno.FsFile | null;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Opens or creates the file and sets its size.
   * @returns the file, and how many bytes it had before (what a resume may keep)
   * @throws {Error} when the path exists and is not a file, or cannot be opened
   */
  static async open(
    path: string,
    size: number,
  ): Promise<{ part: PartFile; existingBytes: number }> {
    // Never through a link: an existing `.part` must be a plain file, and a
    // new one is created exclusively, so nothing planted at the path is written.
    let existing: Deno.FileInfo | undefined;
    try {
      existing = await Deno.lstat(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (existing !== undefined && !existing.isFile) {
      throw new Error(`"${path}" exists and is not a plain file`);
    }
    const file = existing === undefined
      ? await Deno.open(path, { read: true, write: true, createNew: true, mode: 0o600 })
      : await Deno.open(path, { read: true, write: true });
    try {
      const opened = await file.stat();
      if (existing !== undefined && (opened.ino !== existing.ino || opened.dev !== existing.dev)) {
        throw new Error(`"${path}" changed while it was being opened`);
      }
      await file.truncate(size);
    } catch (error) {
      file.close();
      throw error;
    }
    const existingBytes = existing === undefined ? 0 : Math.min(existing.size, size);
    return { part: new PartFile(path, file), existingBytes };
  }

  /**
   * Moves a verified `.part` to its final path without ever replacing what is
   * there: a hard link fails if anything (a file or a link) appeared at the
   * destination meanwhile, and only then is the `.part` name removed.
   * @throws {Deno.errors.AlreadyExists} when the destination exists
   */
  static async moveInto(partPath: string, destPath: string): Promise<void> {
    try {
      await Deno.link(partPath, destPath);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new Deno.errors.AlreadyExists(
          `Cannot finish the download: "${destPath}" appeared meanwhile; the verified file stays at "${partPath}"`,
        );
      }
      throw error;
    }
    await Deno.remove(partPath);
  }

  /** Closes the handle (again is harmless). */
  close(): void {
    try {
      this.#file?.close();
    } catch {
      // already closed
    }
    this.#file = null;
  }
}
