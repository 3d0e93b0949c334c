/**
 * The trackers the balancer can hand out: the health table plus an indexed
 * min-heap holding exactly the live trackers, ordered by (estimated clients,
 * address). The estimate is the last reported count plus the clients handed
 * this tracker since that report, so a burst of clients arriving between two
 * reports spreads over the trackers instead of piling onto one. Pure: time is
 * a parameter.
 */
import { AppError } from "../protocol/errors.ts";
import type { TrackerLoad } from "../protocol/balancer_messages.ts";
import { IndexedMinHeap } from "./heap.ts";
import { type HealthOptions, HealthTable, type TrackerHealth, type Transition } from "./health.ts";

interface Load {
  addr: string;
  clients: number;
}

function byLoad(a: Load, b: Load): number {
  return a.clients - b.clients || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0);
}

/** Known trackers, their health, and the live ones by load. */
export class TrackerPool {
  #table: HealthTable;
  #live = new IndexedMinHeap<string, Load>(byLoad);
  #handedOut = new Map<string, number>();

  /** @param options miss limit and table size */
  constructor(options: HealthOptions) {
    this.#table = new HealthTable(options);
  }

  /**
   * Records a registration or load report.
   * @returns whether the tracker is live now (a tracker not live needs a check)
   * @throws {AppError} UNAVAILABLE when the table is full
   */
  report(addr: string, clients: number, nowMs: number): { live: boolean } {
    const { row } = this.#table.report(addr, clients, nowMs);
    this.#handedOut.delete(addr);
    this.#sync(addr);
    return { live: row.state === "live" };
  }

  /**
   * Records a ping answer.
   * @returns the transition it caused
   */
  answered(addr: string, nowMs: number): Transition {
    const transition = this.#table.answered(addr, nowMs);
    this.#sync(addr);
    return transition;
  }

  /**
   * Records a missed ping.
   * @returns the transition it caused
   */
  missed(addr: string): Transition {
    const transition = this.#table.missed(addr);
    this.#sync(addr);
    return transition;
  }

  /**
   * Picks the least-loaded live tracker not in `exclude`, and counts the hand-out.
   * @returns its address and estimated client count before this hand-out
   * @throws {AppError} UNAVAILABLE when no live tracker is left
   */
  pick(exclude: readonly string[]): Load {
    const skipped: { key: string; value: Load }[] = [];
    let chosen: { key: string; value: Load } | undefined;
    while ((chosen = this.#live.pop()) !== undefined && exclude.includes(chosen.key)) {
      skipped.push(chosen);
    }
    for (const item of skipped) this.#live.set(item.key, item.value);
    if (chosen === undefined) throw new AppError("UNAVAILABLE", this.#noneMessage(skipped.length));
    this.#handedOut.set(chosen.key, (this.#handedOut.get(chosen.key) ?? 0) + 1);
    this.#sync(chosen.key);
    return { ...chosen.value };
  }

  /**
   * Drops trackers out and silent for `afterMs`.
   * @returns the dropped addresses
   */
  forget(nowMs: number, afterMs: number): string[] {
    const dropped = this.#table.forget(nowMs, afterMs);
    for (const addr of dropped) this.#handedOut.delete(addr);
    return dropped;
  }

  /**
   * Tells whether a tracker is known.
   * @returns true when it is in the table
   */
  has(addr: string): boolean {
    return this.#table.get(addr) !== undefined;
  }

  /**
   * Tells whether a tracker is live (handed out).
   * @returns true when live
   */
  isLive(addr: string): boolean {
    return this.#table.get(addr)?.state === "live";
  }

  /**
   * Lists every known tracker with its estimated load and liveness, by address.
   * @returns one entry per tracker
   */
  list(): TrackerLoad[] {
    return this.#table.rows().map((row) => ({
      addr: row.addr,
      clients: row.clients + (this.#handedOut.get(row.addr) ?? 0),
      live: row.state === "live",
    }));
  }

  /**
   * Every tracker's health row, its client count the same estimate the heap orders by.
   * @returns copies of the rows, by address
   */
  health(): TrackerHealth[] {
    return this.#table.rows().map((row) => ({
      ...row,
      clients: row.clients + (this.#handedOut.get(row.addr) ?? 0),
    }));
  }

  /** Puts a tracker in the heap when live, with its current estimate; takes it out otherwise. */
  #sync(addr: string): void {
    const row = this.#table.get(addr);
    if (row === undefined || row.state !== "live") {
      this.#live.delete(addr);
      return;
    }
    this.#live.set(addr, { addr, clients: row.clients + (this.#handedOut.get(addr) ?? 0) });
  }

  #noneMessage(excluded: number): string {
    const rows = this.#table.rows();
    if (rows.length === 0) return "No live tracker: none has registered with the balancer";
    if (excluded > 0) {
      return `No live tracker besides the ${excluded} excluded (${rows.length} known)`;
    }
    const out = rows.filter((row) => row.state === "out").length;
    if (out === rows.length) {
      return `No live tracker: all ${rows.length} known tracker${
        rows.length === 1 ? " is" : "s are"
      } out`;
    }
    return `No live tracker yet: ${rows.length - out} of ${rows.length} known not yet checked`;
  }
}
