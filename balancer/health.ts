/**
 * The balancer's table of trackers and their health, as pure state: time is
 * a parameter and nothing here does I/O. Only the balancer's own pings move a
 * tracker between states, so nobody else (a client's `report_dead`, or a
 * stray `report_load`) can take a healthy tracker out or bring a dead one in:
 *
 * - `new`: registered, not yet answered a ping; not handed out.
 * - `live`: answered; handed out. `maxMisses` pings in a row without an
 *   answer make it `out`.
 * - `out`: kept in the table (it may come back) but not handed out. One
 *   answered ping makes it `live` again.
 */
import { AppError } from "../protocol/errors.ts";

/** Where a tracker stands. */
export type Liveness = "new" | "live" | "out";

/** What a ping result changed. */
export type Transition = "none" | "up" | "out" | "back";

/** One tracker's row. */
export interface TrackerHealth {
  readonly addr: string;
  /** Its last reported live client count. */
  clients: number;
  state: Liveness;
  /** Pings missed in a row. */
  misses: number;
  /** When it last registered or reported load. */
  lastReportMs: number;
  /** When it last answered a ping, or null if never. */
  lastAnswerMs: number | null;
}

/** Options of {@link HealthTable}. */
export interface HealthOptions {
  /** Pings missed in a row before a tracker is out. */
  maxMisses: number;
  /** Most trackers kept in the table. */
  maxTrackers: number;
}

/** Every known tracker and its health. */
export class HealthTable {
  #rows = new Map<string, TrackerHealth>();
  #options: HealthOptions;

  /** @param options miss limit and table size */
  constructor(options: HealthOptions) {
    this.#options = options;
  }

  /**
   * Records a registration or load report; an unknown tracker is added as `new`.
   * @returns the row and whether it was just added
   * @throws {AppError} UNAVAILABLE when the table is full
   */
  report(addr: string, clients: number, nowMs: number): { row: TrackerHealth; added: boolean } {
    const known = this.#rows.get(addr);
    if (known !== undefined) {
      known.clients = clients;
      known.lastReportMs = nowMs;
      return { row: known, added: false };
    }
    if (this.#rows.size >= this.#options.maxTrackers) {
      throw new AppError(
        "UNAVAILABLE",
        `Cannot register tracker ${addr}: the balancer already knows ${this.#options.maxTrackers}`,
      );
    }
    const row: TrackerHealth = {
      addr,
      clients,
      state: "new",
      misses: 0,
      lastReportMs: nowMs,
      lastAnswerMs: null,
    };
    this.#rows.set(addr, row);
    return { row, added: true };
  }

  /**
   * Records that a tracker answered a ping.
   * @returns "up" (new to live), "back" (out to live) or "none"
   */
  answered(addr: string, nowMs: number): Transition {
    const row = this.#rows.get(addr);
    if (row === undefined) return "none";
    row.misses = 0;
    row.lastAnswerMs = nowMs;
    const was = row.state;
    row.state = "live";
    return was === "new" ? "up" : was === "out" ? "back" : "none";
  }

  /**
   * Records that a ping went unanswered (refused, broken or timed out).
   * @returns "out" when this miss took it out, else "none"
   */
  missed(addr: string): Transition {
    const row = this.#rows.get(addr);
    if (row === undefined) return "none";
    row.misses += 1;
    if (row.state === "out" || row.misses < this.#options.maxMisses) return "none";
    row.state = "out";
    return "out";
  }

  /**
   * Drops trackers that are out and have neither answered nor reported for `afterMs`.
   * @returns the dropped addresses
   */
  forget(nowMs: number, afterMs: number): string[] {
    const dropped: string[] = [];
    for (const row of this.#rows.values()) {
      const lastHeardMs = Math.max(row.lastReportMs, row.lastAnswerMs ?? 0);
      if (row.state === "out" && nowMs - lastHeardMs >= afterMs) dropped.push(row.addr);
    }
    for (const addr of dropped) this.#rows.delete(addr);
    return dropped;
  }

  /**
   * Reads one row.
   * @returns the row, or undefined
   */
  get(addr: string): Readonly<TrackerHealth> | undefined {
    return this.#rows.get(addr);
  }

  /**
   * Lists every row, sorted by address.
   * @returns copies of the rows
   */
  rows(): TrackerHealth[] {
    return [...this.#rows.values()].map((row) => ({ ...row }))
      .sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  }
}
