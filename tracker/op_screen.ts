/**
 * Screens the ops a peer sends before they reach the replica, so nothing a
 * peer says can fork this tracker silently or stop its clock:
 * - an op for a place (origin, seq) already held with other content is a
 *   conflict: refused, logged, counted and listed in `status`;
 * - an op claiming to come from this tracker that this tracker does not hold
 *   is forged (a tracker never lacks its own acknowledged ops): a conflict too;
 * - an op stamped more than the allowed clock skew ahead of this tracker's
 *   clock waits: it and the later ops of its origin are left for the sender
 *   to send again, and they apply once this clock has caught up.
 * The origins refused for now are told back to the sender, which leaves them
 * aside for a while, so the ops of every other origin keep flowing.
 */
import { parseStamp } from "./hlc.ts";
import type { Op } from "./ops.ts";

/** What the screen needs of the replica. */
export interface ScreenedReplica {
  readonly id: number;
  /** Highest seq per origin held (applied). */
  readonly held: ReadonlyMap<number, number>;
  /** The op held at (origin, seq), if any. */
  opAt(origin: number, seq: number): Op | undefined;
}

/** One refused op, as `status` lists it. */
export interface ConflictInfo {
  origin: number;
  seq: number;
  /** The tracker that sent it. */
  from: number;
  reason: string;
}

/** Options of {@link OpScreen}. */
export interface OpScreenOptions {
  maxClockSkewMs: number;
  nowMs: () => number;
  log: (line: string) => void;
}

/** The ops of one batch that may be applied, and the origins to leave aside. */
export interface ScreenResult {
  admitted: Op[];
  paused: number[];
}

/** Conflicts listed in `status`; the count goes on. */
const LISTED_CONFLICTS = 20;
/** One skew log line per origin per this long. */
const SKEW_LOG_EVERY_MS = 60_000;

/** The screen of one tracker, shared by its inbound links. */
export class OpScreen {
  #replica: ScreenedReplica;
  #options: OpScreenOptions;
  #conflicts: ConflictInfo[] = [];
  #conflictCount = 0;
  #skewLoggedAt = new Map<number, number>();
  #refusedPlaces = new Set<string>();

  /** @param replica the replica the ops are meant for */
  constructor(replica: ScreenedReplica, options: OpScreenOptions) {
    this.#replica = replica;
    this.#options = options;
  }

  /** How many ops were refused as conflicts, and the latest of them. */
  conflicts(): { count: number; recent: ConflictInfo[] } {
    return { count: this.#conflictCount, recent: [...this.#conflicts] };
  }

  /**
   * Sorts a batch from peer `from` into ops to apply and origins to leave aside.
   * @returns the admitted ops, in batch order, and the paused origins
   */
  screen(ops: readonly Op[], from: number): ScreenResult {
    const admitted: Op[] = [];
    const paused = new Set<number>();
    const now = this.#options.nowMs();
    for (const op of ops) {
      if (paused.has(op.origin)) continue;
      const held = this.#replica.held.get(op.origin) ?? 0;
      if (op.seq <= held) {
        const mine = this.#replica.opAt(op.origin, op.seq);
        if (mine !== undefined && canonical(mine) !== canonical(op)) {
          this.#conflict(op, from, "differs from the op this tracker holds there");
        }
        continue;
      }
      if (op.origin === this.#replica.id) {
        this.#conflict(op, from, "claims to come from this tracker, which never made it");
        paused.add(op.origin);
        continue;
      }
      const aheadMs = parseStamp(op.stamp).ms - now;
      if (aheadMs > this.#options.maxClockSkewMs) {
        this.#logSkew(op, from, aheadMs, now);
        paused.add(op.origin);
        continue;
      }
      admitted.push(op);
    }
    return { admitted, paused: [...paused] };
  }

  #conflict(op: Op, from: number, why: string): void {
    const place = `${op.origin}/${op.seq}`;
    // The sender offers the same op again after each reconnect: count it once.
    if (this.#refusedPlaces.has(place)) return;
    if (this.#refusedPlaces.size < 100_000) this.#refusedPlaces.add(place);
    this.#conflictCount++;
    const info = { origin: op.origin, seq: op.seq, from, reason: why };
    this.#conflicts.push(info);
    if (this.#conflicts.length > LISTED_CONFLICTS) this.#conflicts.shift();
    this.#options.log(
      `cluster: refused op ${place} from tracker ${from}: it ${why} (conflict #${this.#conflictCount})`,
    );
  }

  #logSkew(op: Op, from: number, aheadMs: number, now: number): void {
    const last = this.#skewLoggedAt.get(op.origin);
    if (last !== undefined && now - last < SKEW_LOG_EVERY_MS && now >= last) return;
    this.#skewLoggedAt.set(op.origin, now);
    const limit = Math.round(this.#options.maxClockSkewMs / 1000);
    this.#options.log(
      `cluster: op ${op.origin}/${op.seq} from tracker ${from} is stamped ` +
        `${Math.round(aheadMs / 1000)} s ahead of this tracker's clock (limit ${limit} s); ` +
        `its origin's ops wait until the clock catches up`,
    );
  }
}

/** A text of an op's content that ignores key order. */
function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}
