/**
 * Computes the whole-file SHA-256 while the download runs, so completing a
 * download costs no extra pass over the file. Verified pieces are offered as
 * they arrive; the hash advances in piece order over the buffers still in
 * memory. A piece that arrives ahead of the hash is held when it lies within
 * a window of `holdBytes` past the next piece to hash, and otherwise dropped
 * and read back from disk when the hash reaches it (the file system cache
 * usually still has it). A window by position rather than a budget of bytes
 * keeps the pieces the hash needs soonest: a budget filled with far-ahead
 * pieces would make the hash read everything after them back from disk.
 */
import { createHash } from "node:crypto";

/** Options of {@link WholeFileHasher}. */
export interface WholeFileHasherOptions {
  pieceCount: number;
  pieceSize: number;
  /** How far ahead of the hash, in bytes, an arriving piece is still held. */
  holdBytes: number;
  /** True when piece `index` is verified on disk. */
  isDone(index: number): boolean;
  /** Reads a verified piece back from disk; the bytes need stay valid only until the next call. */
  readPiece(index: number): Promise<Uint8Array>;
}

/** The in-order whole-file hash of a download. */
export class WholeFileHasher {
  #options: WholeFileHasherOptions;
  #hash = createHash("sha256");
  #next = 0;
  #held = new Map<number, { data: Uint8Array; release?: () => void }>();
  #heldBytes = 0;
  #pumping: Promise<void> = Promise.resolve();
  #running = false;
  #error: unknown = null;

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
    const ahead = (index - this.#next) * this.#options.pieceSize;
    if (index < this.#next || this.#held.has(index) || data === undefined) {
      release?.();
    } else if (ahead < this.#options.holdBytes || index === this.#next) {
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
    if (this.#running || this.#error !== null) return;
    this.#running = true;
    this.#pumping = this.#pump().catch((error) => {
      this.#error = error;
    });
  }

  /**
   * Hashes every piece it can in order. `#running` is cleared in the same
   * turn when no piece had to be read back, so the next offer pumps again.
   */
  async #pump(): Promise<void> {
    const { pieceCount, isDone, readPiece } = this.#options;
    try {
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
        }
        this.#next = index + 1;
      }
    } finally {
      this.#running = false;
    }
  }
}
