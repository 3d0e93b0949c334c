/**
 * Password hashing (scrypt) behind a few slots and a bounded, fair queue.
 *
 * Each hash takes about 16 MiB and tens of milliseconds, so only a few run
 * at once. Jobs wait in one queue per source address and the slots serve
 * the addresses in turn: a thousand logins from one address delay a login
 * from another by at most one hash per slot, not by a thousand. A caller
 * past a limit (per connection, per address, or in all) is refused at once
 * with UNAVAILABLE: a queue that only grows is an attack that works.
 */
import { scrypt, type ScryptOptions } from "node:crypto";
import { promisify } from "node:util";
import { AppError } from "../protocol/errors.ts";
import { SCRYPT_COST, SCRYPT_KEY_BYTES } from "./config.ts";

/** Who asks for a hash: its source address and its connection. */
export interface Caller {
  /** The remote host (an IPv4 address or an IPv6 /64: see source_address.ts). */
  source: string;
  /** Any object that stands for the connection. */
  conn: object;
}

/** Limits of a {@link PasswordHasher}. */
export interface PasswordHasherOptions {
  /** Hashes computed at once. */
  slots: number;
  /** Hashes waiting or running, in all. */
  maxQueued: number;
  /** Hashes waiting or running for one source address. */
  maxPerSource: number;
  /** Hashes waiting or running for one connection. */
  maxPerConnection: number;
}

interface Job {
  caller: Caller;
  /** Runs just before the hash starts; may throw to refuse the job. */
  check: () => void;
  start(): void;
  reject(error: unknown): void;
}

/** A bounded, per-address fair queue in front of scrypt. */
export class PasswordHasher {
  #options: PasswordHasherOptions;
  #running = 0;
  #queued = 0;
  /** source -> its waiting jobs; the first key is served next. */
  #waiting = new Map<string, Job[]>();
  #perSource = new Map<string, number>();
  #perConn = new Map<object, number>();

  constructor(options: PasswordHasherOptions) {
    this.#options = options;
  }

  /**
   * Hashes a password once a slot is free.
   * @param job the password, the salt, the caller, and an optional check
   *   run just before the hash starts (it may throw to refuse)
   * @returns the scrypt key
   * @throws {AppError} UNAVAILABLE at once when the caller is past a limit;
   *   whatever `check` throws
   */
  async hash(job: {
    password: string;
    salt: Uint8Array;
    caller: Caller;
    check?: () => void;
  }): Promise<Buffer> {
    const { caller } = job;
    this.#admit(caller);
    try {
      await this.#turn(caller, job.check ?? (() => {}));
      try {
        return await scryptOnce(job.password, job.salt);
      } finally {
        this.#running--;
        this.#next();
      }
    } finally {
      this.#leave(caller);
    }
  }

  #admit(caller: Caller): void {
    const o = this.#options;
    const busy = (this.#perSource.get(caller.source) ?? 0) >= o.maxPerSource ||
      (this.#perConn.get(caller.conn) ?? 0) >= o.maxPerConnection ||
      this.#queued >= o.maxQueued;
    if (busy) {
      throw new AppError("UNAVAILABLE", "Too many logins in progress: try again in a moment");
    }
    this.#queued++;
    this.#perSource.set(caller.source, (this.#perSource.get(caller.source) ?? 0) + 1);
    this.#perConn.set(caller.conn, (this.#perConn.get(caller.conn) ?? 0) + 1);
  }

  #leave(caller: Caller): void {
    this.#queued--;
    decrement(this.#perSource, caller.source);
    decrement(this.#perConn, caller.conn);
  }

  #turn(caller: Caller, check: () => void): Promise<void> {
    if (this.#running < this.#options.slots && this.#waiting.size === 0) {
      check();
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const job: Job = { caller, check, start: resolve, reject };
      const list = this.#waiting.get(caller.source);
      if (list === undefined) this.#waiting.set(caller.source, [job]);
      else list.push(job);
    });
  }

  // Serves the next address in turn; its remaining jobs go to the back of the line.
  #next(): void {
    while (this.#running < this.#options.slots && this.#waiting.size > 0) {
      const [source, list] = this.#waiting.entries().next().value as [string, Job[]];
      const job = list.shift() as Job;
      this.#waiting.delete(source);
      if (list.length > 0) this.#waiting.set(source, list);
      try {
        job.check();
      } catch (error) {
        job.reject(error);
        continue;
      }
      this.#running++;
      job.start();
    }
  }
}

function decrement<K>(map: Map<K, number>, key: K): void {
  const count = (map.get(key) ?? 0) - 1;
  if (count <= 0) map.delete(key);
  else map.set(key, count);
}

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Uint8Array,
  keyBytes: number,
  options: ScryptOptions,
) => Promise<Buffer>;

function scryptOnce(password: string, salt: Uint8Array): Promise<Buffer> {
  return scryptAsync(password, salt, SCRYPT_KEY_BYTES, { N: SCRYPT_COST, r: 8, p: 1 });
}
