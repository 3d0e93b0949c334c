/**
 * Throughput per key (a download's peer) from byte totals sampled over time:
 * the rate is the bytes added over the last window. Pure: time is a
 * parameter. Keys not sampled for a while are forgotten, so the table holds
 * only what is being watched.
 */

/** The window rates are measured over. */
export const RATE_WINDOW_MS = 3000;

interface Sample {
  atMs: number;
  bytes: number;
}

/** Rates of byte totals, per key. */
export class PeerRates {
  #samples = new Map<string, Sample[]>();

  /**
   * Records a total and gives the rate over the window.
   * @returns bytes per second (0 until two samples are apart in time)
   */
  sample(key: string, bytes: number, nowMs: number): number {
    const list = this.#samples.get(key) ?? [];
    list.push({ atMs: nowMs, bytes });
    while (list.length > 2 && nowMs - list[1]!.atMs >= RATE_WINDOW_MS) list.shift();
    this.#samples.set(key, list);
    const first = list[0]!;
    const spanMs = nowMs - first.atMs;
    return spanMs <= 0 ? 0 : Math.max(0, (bytes - first.bytes) / (spanMs / 1000));
  }

  /** Forgets keys last sampled before `nowMs - RATE_WINDOW_MS * 2`. */
  prune(nowMs: number): void {
    for (const [key, list] of this.#samples) {
      const last = list[list.length - 1];
      if (last === undefined || nowMs - last.atMs > RATE_WINDOW_MS * 2) this.#samples.delete(key);
    }
  }
}
