/**
 * A transfer rate over a sliding window: bytes recorded with their time,
 * summed over the last few seconds. Pure: time comes in as `nowMs`.
 */

/** Bytes per second over the last `windowMs`. */
export class RateMeter {
  #windowMs: number;
  #samples: [number, number][] = [];

  /** @param windowMs how far back the rate looks */
  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Records `bytes` received at `nowMs`. */
  add(nowMs: number, bytes: number): void {
    this.#samples.push([nowMs, bytes]);
    if (this.#samples.length > 256) this.#trim(nowMs);
  }

  /**
   * The rate now.
   * @param startMs when the transfer started (a younger transfer has a shorter window)
   * @returns bytes per second
   */
  bytesPerSec(nowMs: number, startMs: number): number {
    this.#trim(nowMs);
    const bytes = this.#samples.reduce((sum, [, b]) => sum + b, 0);
    const seconds = Math.max(1e-3, Math.min(this.#windowMs, nowMs - startMs) / 1000);
    return Math.round(bytes / seconds);
  }

  #trim(nowMs: number): void {
    const cutoff = nowMs - this.#windowMs;
    const first = this.#samples.findIndex(([t]) => t >= cutoff);
    this.#samples.splice(0, first === -1 ? this.#samples.length : first);
  }
}
