/**
 * Connections the tracker closed for a deadline (silent, or no valid first
 * message), logged as one line per reason and second, not one per
 * connection: thousands of clients dropping at once would flood the log,
 * and without any line a mass disconnection goes unexplained.
 */

/** How often the counts are logged, at most. */
const TALLY_MS = 1000;

/** Counts closes and logs them once per interval. */
export class CloseTally {
  #counts = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #log: (line: string) => void;

  /** @param log receives the summary lines */
  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /** Counts one connection closed for `reason`. */
  closed(reason: string): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
    this.#timer ??= setTimeout(() => this.flush(), TALLY_MS);
  }

  /** Logs what was counted since the last line, and stops the timer. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [reason, count] of this.#counts) {
      this.#log(`closed ${count} connection${count === 1 ? "" : "s"}: ${reason}`);
    }
    this.#counts.clear();
  }
}
