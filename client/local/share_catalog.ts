/**
 * What this client's seeder may serve: the files it shares (whole, every
 * piece) and the downloads in progress (only the pieces already verified).
 * Looked up by content hash only, never by a path a peer names. Each file
 * carries the groups it is shared or downloaded in, so the seeder serves it
 * only on a ticket of one of them.
 */
import type { Manifest } from "../../protocol/manifest.ts";
import type { ShareCatalog, SharedFile } from "../transfer/mod.ts";

/** A download in progress as the seeder sees it. */
export interface PartialFile {
  /** The `.part` file being written. */
  path: string;
  manifest: Manifest;
  /** The group it is downloaded from. */
  group: string;
  hasPiece(index: number): boolean;
}

/** The seeder's catalog, kept in step with the registry and the running downloads. */
export class LocalCatalog implements ShareCatalog {
  #whole = new Map<string, SharedFile & { groups: string[] }>();
  #partial = new Map<number, PartialFile>();
  /** fileHash -> who hears of pieces verified while downloading (peers that asked). */
  #watchers = new Map<string, Set<(index: number) => void>>();

  /** Replaces the set of whole files shared; one file shared in several groups is one entry. */
  setShares(shares: readonly { path: string; manifest: Manifest; group: string }[]): void {
    this.#whole.clear();
    for (const { path, manifest, group } of shares) {
      const known = this.#whole.get(manifest.fileHash);
      if (known !== undefined) {
        if (!known.groups.includes(group)) known.groups = [...known.groups, group];
        continue;
      }
      const pieces = manifest.pieceHashes.length;
      this.#whole.set(manifest.fileHash, {
        path,
        manifest,
        groups: [group],
        hasPiece: (index) => index >= 0 && index < pieces,
      });
    }
  }

  /** Serves the verified pieces of a running download. */
  addPartial(downloadId: number, file: PartialFile): void {
    this.#partial.set(downloadId, file);
  }

  /** Tells the peers watching a file in progress that one more piece is verified. */
  pieceVerified(fileHash: string, index: number): void {
    for (const onPiece of this.#watchers.get(fileHash) ?? []) onPiece(index);
  }

  /**
   * Calls `onPiece` for each piece of `fileHash` verified from now on.
   * @returns a function that stops the calls
   */
  watchPieces(fileHash: string, onPiece: (index: number) => void): () => void {
    let set = this.#watchers.get(fileHash);
    if (set === undefined) this.#watchers.set(fileHash, set = new Set());
    set.add(onPiece);
    return () => {
      set.delete(onPiece);
      if (set.size === 0 && this.#watchers.get(fileHash) === set) this.#watchers.delete(fileHash);
    };
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
    const parts = [...this.#partial.values()].filter((p) => p.manifest.fileHash === fileHash);
    const whole = this.#whole.get(fileHash);
    const groups = parts.map((p) => p.group).filter((g) => !whole?.groups.includes(g));
    if (whole !== undefined) {
      return groups.length === 0 ? whole : { ...whole, groups: [...whole.groups, ...groups] };
    }
    const part = parts[0];
    return part === undefined ? undefined : { ...part, groups: [...new Set(groups)] };
  }
}
