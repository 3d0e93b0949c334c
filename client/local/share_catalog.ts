/**
 * What this client's seeder may serve: the files it shares (whole, every
 * piece) and the downloads in progress (only the pieces already verified).
 * Looked up by content hash only, never by a path a peer names.
 */
import type { Manifest } from "../../protocol/manifest.ts";
import type { ShareCatalog, SharedFile } from "../transfer/mod.ts";

/** A download in progress as the seeder sees it. */
export interface PartialFile {
  /** The `.part` file being written. */
  path: string;
  manifest: Manifest;
  hasPiece(index: number): boolean;
}

/** The seeder's catalog, kept in step with the registry and the running downloads. */
export class LocalCatalog implements ShareCatalog {
  #whole = new Map<string, SharedFile>();
  #partial = new Map<number, PartialFile>();

  /** Replaces the set of whole files shared. */
  setShares(shares: readonly { path: string; manifest: Manifest }[]): void {
    this.#whole.clear();
    for (const { path, manifest } of shares) {
      const pieces = manifest.pieceHashes.length;
      this.#whole.set(manifest.fileHash, {
        path,
        manifest,
        hasPiece: (index) => index >= 0 && index < pieces,
      });
    }
  }

  /** Serves the verified pieces of a running download. */
  addPartial(downloadId: number, file: PartialFile): void {
    this.#partial.set(downloadId, file);
  }

  /** Stops serving a download's `.part` file. */
  removePartial(downloadId: number): void {
    this.#partial.delete(downloadId);
  }

  /**
   * Finds a file by its content hash.
   * @returns the whole file if shared, else a download in progress, else undefined
   */
  lookup(fileHash: string): SharedFile | undefined {
    const whole = this.#whole.get(fileHash);
    if (whole !== undefined) return whole;
    for (const part of this.#partial.values()) {
      if (part.manifest.fileHash === fileHash) return part;
    }
    return undefined;
  }
}
