/** What a seeder serves: the files of its catalog, looked up by content hash. */
import type { Manifest } from "../../protocol/manifest.ts";

/** A file the seeder may serve. */
export interface SharedFile {
  /** Where its bytes are (for a download in progress, the `.part` file). */
  path: string;
  manifest: Manifest;
  /** The groups it is shared in here: a ticket of another group does not reach it. */
  groups: readonly string[];
  /** True when piece `index` is on disk and verified. */
  hasPiece(index: number): boolean;
}

/** What the seeder serves, by file hash. */
export interface ShareCatalog {
  lookup(fileHash: string): SharedFile | undefined;
  /**
   * Calls `onPiece` for each piece of a file in progress verified from now on.
   * @returns a function that stops the calls
   */
  watchPieces?(fileHash: string, onPiece: (index: number) => void): () => void;
}
