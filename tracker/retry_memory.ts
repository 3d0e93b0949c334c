/**
 * The replies already given to commands sent with a retry id, by retry key,
 * so a command retried (here or on another tracker) is answered, not applied
 * twice. Only the latest are kept.
 */
import type { RetryRecord } from "./ops.ts";

/** A bounded map of retry key -> reply, oldest first. */
export class RetryMemory {
  #replies = new Map<string, Record<string, unknown>>();
  #limit: number;

  /** @param limit most replies kept */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Keeps a reply, dropping the oldest past the limit. */
  remember(record: RetryRecord): void {
    this.#replies.delete(record.key);
    this.#replies.set(record.key, record.reply);
    if (this.#replies.size > this.#limit) this.#replies.delete(this.#replies.keys().next().value!);
  }

  /** @returns the reply given to a retry key, if kept */
  get(key: string): Record<string, unknown> | undefined {
    return this.#replies.get(key);
  }
}
