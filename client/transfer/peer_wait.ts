/**
 * A download with nothing in flight and nobody to ask waits for peers
 * instead of failing: while it waits it asks for fresh peers now and every
 * `stallMs`, and gives up only after `giveUpMs` (0: never).
 */

/** Options of {@link PeerWait}. */
export interface PeerWaitOptions {
  stallMs: number;
  /** 0: never give up. */
  giveUpMs: number;
  onPeersLow?: (() => void) | undefined;
  onGiveUp(message: string): void;
}

/** Whether a download waits for peers, with its timers. */
export class PeerWait {
  #o: PeerWaitOptions;
  #waiting = false;
  #askTimer: ReturnType<typeof setInterval> | undefined;
  #giveUpTimer: ReturnType<typeof setTimeout> | undefined;

  /** @param options the timings and what to call */
  constructor(options: PeerWaitOptions) {
    this.#o = options;
  }

  /** True while the download waits for peers. */
  get waiting(): boolean {
    return this.#waiting;
  }

  /** Starts or ends waiting; only a change does anything. */
  set(waiting: boolean): void {
    if (waiting === this.#waiting) return;
    this.#waiting = waiting;
    this.stop();
    if (!waiting) return;
    this.#o.onPeersLow?.();
    this.#askTimer = setInterval(() => this.#o.onPeersLow?.(), this.#o.stallMs);
    const giveUpMs = this.#o.giveUpMs;
    if (giveUpMs > 0) {
      this.#giveUpTimer = setTimeout(
        () => this.#o.onGiveUp(`Gave up: no peer had a needed piece for ${giveUpMs / 1000} s`),
        giveUpMs,
      );
    }
  }

  /** Clears the timers (the state stays). */
  stop(): void {
    clearInterval(this.#askTimer);
    clearTimeout(this.#giveUpTimer);
    this.#askTimer = this.#giveUpTimer = undefined;
  }
}
