/**
 * Computes the whole-file SHA-256 while the download runs, so completing a
 * download costs no extra pass over the file. Verified pieces are offered as
 * they arrive; the hash advances in piece order over the buffers still in
 * memory. A piece that arrives ahead of the hash is held while the held bytes
 * stay under a budget, and otherwise dropped and read back from disk when the
 * hash reaches it (the file system cache usually still has it).
 */
import { createHash } from "node:crypto";

/** Options of {@link WholeFileHasher}. */
export interface WholeFileHasherOptions {
  pieceCount: number;
  /** Most bytes held for pieces that arrived ahead of the hash. */
  holdBytes: number;
  /** True when piece `index` is verified on disk. */
  isDone(index: number): boolean;
  /** Reads a verified piece back from disk. */
  readPiece(index: number): Promise<Uint8Array>;
}

/** The in-order whole-file hash of a download. */
export class WholeFileHasher {
  #options: WholeFileHasherOptions;
  #hash = createHash("sha256");
  #next = 0;
  #held = new Map<number, { data: Uint8Array; release?: () => void }>();
  #heldBytes = 0;
  #pumping: Promise<void> | null = null;
  #error: unknown = null;
  /** Pieces read back from disk (for figures and tests). */
  piecesReadBack = 0;

  /** @param options piece count, budget and how to read a piece back */
  constructor(options: WholeFileHasherOptions) {
    this.#options = options;
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /**
   * Offers a verified piece; its buffer is kept only while needed.
   * @param data the piece's bytes, or undefined when only on disk
   * @param release called once the hash no longer needs `data` (used, or not kept)
   */
  offer(index: number, data?: Uint8Array, release?: () => void): void {
    const fits = data !== undefined && this.#heldBytes + data.length <= this.#options.holdBytes;
    if (index < this.#next || this.#held.has(index) || data === undefined) {
      release?.();
    } else if (index === this.#next || fits) {
      this.#held.set(index, release === undefined ? { data } : { data, release });
      this.#heldBytes += data.length;
    } else {
      release?.();
    }
    this.#kick();
  }

  /**
   * Finishes the hash once every piece is done.
   * @returns the SHA-256 of the whole file, lowercase hex
   * @throws {Error} when a piece cannot be read back, or a piece is not done
   */
  async digest(): Promise<string> {
    while (this.#next < this.#options.pieceCount) {
      this.#kick();
      await this.#pumping;
      if (this.#error !== null) throw this.#error;
      if (this.#next < this.#options.pieceCount && !this.#options.isDone(this.#next)) {
        throw new Error(`Piece ${this.#next} is not done`);
      }
    }
    return this.#hash.digest("hex");
  }

  #kick(): void {
    if (this.#pumping !== null || this.#error !== null) return;
    this.#pumping = this.#pump().catch((error) => {
      this.#error = error;
    }).finally(() => {
      this.#pumping = null;
    });
  }

  async #pump(): Promise<void> {
    const { pieceCount, isDone, readPiece } = this.#options;
    while (this.#next < pieceCount && isDone(this.#next)) {
      const index = this.#next;
      const held = this.#held.get(index);
      if (held !== undefined) {
        this.#held.delete(index);
        this.#heldBytes -= held.data.length;
        this.#hash.update(held.data);
        held.release?.();
      } else {
        this.#hash.update(await readPiece(index));
        this.piecesReadBack++;
      }
      this.#next = index + 1;
    }
  }
}
