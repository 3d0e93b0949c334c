/**
 * An indexed binary min-heap: items are found by key through a position map,
 * so changing or removing any item costs O(log n), and the minimum is read in
 * O(1). The balancer keys live trackers by address and orders them by
 * (client count, address), so ties break the same way every time.
 */

/** Orders two items: negative when `a` comes first. */
export type Compare<T> = (a: T, b: T) => number;

/** A min-heap of items addressed by a key. */
export class IndexedMinHeap<K, T> {
  #items: { key: K; value: T }[] = [];
  #positions = new Map<K, number>();
  #compare: Compare<T>;

  /** @param compare the order; the least item is at the top */
  constructor(compare: Compare<T>) {
    this.#compare = compare;
  }

  /** Number of items. */
  get size(): number {
    return this.#items.length;
  }

  /**
   * Tells whether an item has this key.
   * @returns true when present
   */
  has(key: K): boolean {
    return this.#positions.has(key);
  }

  /**
   * Reads the item with this key.
   * @returns its value, or undefined
   */
  get(key: K): T | undefined {
    const at = this.#positions.get(key);
    return at === undefined ? undefined : this.#items[at]!.value;
  }

  /**
   * Reads the least item without removing it.
   * @returns its key and value, or undefined when empty
   */
  peek(): { key: K; value: T } | undefined {
    const top = this.#items[0];
    return top === undefined ? undefined : { key: top.key, value: top.value };
  }

  /**
   * Adds an item, or replaces the value of the item with this key. O(log n).
   * @param key the item's key
   * @param value its new value
   */
  set(key: K, value: T): void {
    const at = this.#positions.get(key);
    if (at === undefined) {
      this.#items.push({ key, value });
      this.#positions.set(key, this.#items.length - 1);
      this.#up(this.#items.length - 1);
      return;
    }
    this.#items[at]!.value = value;
    this.#down(this.#up(at));
  }

  /**
   * Removes the item with this key. O(log n).
   * @returns true when it was present
   */
  delete(key: K): boolean {
    const at = this.#positions.get(key);
    if (at === undefined) return false;
    const last = this.#items.length - 1;
    this.#swap(at, last);
    this.#items.pop();
    this.#positions.delete(key);
    if (at < last) this.#down(this.#up(at));
    return true;
  }

  /**
   * Removes and returns the least item.
   * @returns its key and value, or undefined when empty
   */
  pop(): { key: K; value: T } | undefined {
    const top = this.peek();
    if (top !== undefined) this.delete(top.key);
    return top;
  }

  #less(i: number, j: number): boolean {
    return this.#compare(this.#items[i]!.value, this.#items[j]!.value) < 0;
  }

  #swap(i: number, j: number): void {
    const a = this.#items[i]!;
    const b = this.#items[j]!;
    this.#items[i] = b;
    this.#items[j] = a;
    this.#positions.set(b.key, i);
    this.#positions.set(a.key, j);
  }

  #up(at: number): number {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.#less(at, parent)) break;
      this.#swap(at, parent);
      at = parent;
    }
    return at;
  }

  #down(at: number): void {
    const n = this.#items.length;
    while (true) {
      const left = 2 * at + 1;
      const right = left + 1;
      let least = at;
      if (left < n && this.#less(left, least)) least = left;
      if (right < n && this.#less(right, least)) least = right;
      if (least === at) return;
      this.#swap(at, least);
      at = least;
    }
  }
}
