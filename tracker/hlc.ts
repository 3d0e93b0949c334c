/**
 * A hybrid logical clock: wall-clock milliseconds plus a counter, so every
 * tracker stamps its ops in an order that respects causality (an op stamped
 * after another was seen sorts after it) and stays close to real time.
 *
 * A stamp is a fixed-width string `<ms:15>.<counter:6>.<origin:5>`, so plain
 * string comparison orders stamps, and the origin tracker's id makes two
 * stamps from different trackers always differ: the order is total.
 */
import { AppError } from "../protocol/errors.ts";

/** A formatted, string-sortable clock reading of one tracker. */
export type Stamp = string;

/** The clock's state: the largest time seen and a counter within that millisecond. */
export interface HlcClock {
  ms: number;
  counter: number;
}

/** Largest millisecond value a stamp can hold (15 digits). */
export const MAX_STAMP_MS = 999_999_999_999_999;
/** Largest counter value a stamp can hold (6 digits). */
export const MAX_STAMP_COUNTER = 999_999;
/** Largest tracker id a stamp can hold (5 digits). */
export const MAX_ORIGIN = 99_999;

const STAMP = /^(\d{15})\.(\d{6})\.(\d{5})$/;

/**
 * A clock that has seen nothing yet.
 * @returns the zero clock
 */
export function initialClock(): HlcClock {
  return { ms: 0, counter: 0 };
}

// A counter that would overflow its 6 digits borrows the next millisecond.
function normalize(ms: number, counter: number): HlcClock {
  return counter > MAX_STAMP_COUNTER ? { ms: ms + 1, counter: 0 } : { ms, counter };
}

/**
 * Advances the clock for a local event (an op this tracker creates).
 * @param clock the current clock
 * @param nowMs the wall clock in milliseconds
 * @returns a clock strictly greater than `clock`
 */
export function tick(clock: HlcClock, nowMs: number): HlcClock {
  const now = Math.floor(nowMs);
  if (now > clock.ms) return { ms: now, counter: 0 };
  return normalize(clock.ms, clock.counter + 1);
}

/**
 * Moves the clock past a stamp received from another tracker.
 * @param clock the current clock
 * @param remote the received op's stamp
 * @param nowMs the wall clock in milliseconds
 * @param maxAheadMs refuse a stamp more than this ahead of `nowMs` (default: no limit)
 * @returns a clock strictly greater than both `clock` and `remote`
 * @throws {AppError} BAD_REQUEST when `remote` is not a stamp or is too far ahead
 */
export function observe(
  clock: HlcClock,
  remote: Stamp,
  nowMs: number,
  maxAheadMs = Infinity,
): HlcClock {
  const r = parseStamp(remote);
  if (r.ms - nowMs > maxAheadMs) {
    throw new AppError(
      "BAD_REQUEST",
      `A stamp ${r.ms - Math.floor(nowMs)} ms ahead of this tracker's clock is refused`,
    );
  }
  const ms = Math.max(clock.ms, r.ms, Math.floor(nowMs));
  if (ms === clock.ms && ms === r.ms) {
    return normalize(ms, Math.max(clock.counter, r.counter) + 1);
  }
  if (ms === clock.ms) return normalize(ms, clock.counter + 1);
  if (ms === r.ms) return normalize(ms, r.counter + 1);
  return { ms, counter: 0 };
}

/**
 * Formats a clock reading of tracker `origin` as a stamp.
 * @param clock the clock after `tick`
 * @param origin the tracker id, 0 to 99999
 * @returns the stamp string
 * @throws {AppError} BAD_REQUEST when a part does not fit its width
 */
export function formatStamp(clock: HlcClock, origin: number): Stamp {
  checkPart("ms", clock.ms, MAX_STAMP_MS);
  checkPart("counter", clock.counter, MAX_STAMP_COUNTER);
  checkPart("origin", origin, MAX_ORIGIN);
  return `${pad(clock.ms, 15)}.${pad(clock.counter, 6)}.${pad(origin, 5)}`;
}

/**
 * Reads a stamp back into its parts.
 * @param stamp a stamp as {@link formatStamp} writes it
 * @returns its milliseconds, counter and origin
 * @throws {AppError} BAD_REQUEST when `stamp` is not a well-formed stamp
 */
export function parseStamp(stamp: Stamp): { ms: number; counter: number; origin: number } {
  const match = typeof stamp === "string" ? STAMP.exec(stamp) : null;
  if (match === null) {
    throw new AppError("BAD_REQUEST", "A stamp must look like <ms:15>.<counter:6>.<origin:5>");
  }
  return { ms: Number(match[1]), counter: Number(match[2]), origin: Number(match[3]) };
}

/**
 * Tells whether a value is a well-formed stamp.
 * @returns true when `value` is a stamp string
 */
export function isStamp(value: unknown): value is Stamp {
  return typeof value === "string" && STAMP.test(value);
}

function checkPart(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new AppError("BAD_REQUEST", `A stamp's ${name} must be an integer from 0 to ${max}`);
  }
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}
