/**
 * A bounded queue between a connection's reader and its server: the reader
 * keeps reading (so frames are judged as they arrive) while the server
 * answers them in order, and waits when the queue is full, so a peer that
 * sends faster than it is served holds at most `limit` small frames of ours.
 */
export class FrameInbox<T> {
  #items: T[] = [];
  #limit: number;
  #ended = false;
  #aborted = false;
  #wakeReader: (() => void) | undefined;
  #wakeServer: (() => void) | undefined;

  /** @param limit most items held */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Adds an item, waiting while the queue is full.
   * @returns false once the server has stopped (the item is dropped)
   */
  async push(item: T): Promise<boolean> {
    while (this.#items.length >= this.#limit && !this.#aborted) {
      await new Promise<void>((resolve) => this.#wakeReader = resolve);
    }
    if (this.#aborted) return false;
    this.#items.push(item);
    this.#wake("server");
    return true;
  }

  /**
   * The next item, waiting for one.
   * @returns the item, or undefined once the reader has ended and the queue is drained
   */
  async next(): Promise<T | undefined> {
    while (this.#items.length === 0 && !this.#ended && !this.#aborted) {
      await new Promise<void>((resolve) => this.#wakeServer = resolve);
    }
    const item = this.#aborted ? undefined : this.#items.shift();
    this.#wake("reader");
    return item;
  }

  /** The reader is done: the server drains what is queued, then gets undefined. */
  end(): void {
    this.#ended = true;
    this.#wake("server");
  }

  /** The server is done: pending and later pushes are dropped. */
  abort(): void {
    this.#aborted = true;
    this.#items = [];
    this.#wake("reader");
    this.#wake("server");
  }

  #wake(side: "reader" | "server"): void {
    const wake = side === "reader" ? this.#wakeReader : this.#wakeServer;
    if (side === "reader") this.#wakeReader = undefined;
    else this.#wakeServer = undefined;
    wake?.();
  }
}
