/**
 * The one cancellable wait of the project, for retry and redial loops that
 * must end at once when their owner closes.
 */
import { setTimeout as delay } from "node:timers/promises";

/**
 * Waits `ms` milliseconds, or less when `signal` aborts first. Never rejects.
 * @param ms how long to wait
 * @param signal ends the wait early when aborted
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? {} : { signal });
  } catch {
    // aborted: the caller checks why
  }
}
