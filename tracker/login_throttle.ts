/**
 * Slows password guessing down. Failed logins are counted per user name and
 * per source address; after a few, each next try of that user or from that
 * address must wait, twice as long after every further failure, and a try
 * made too early is refused at once without hashing anything. Failures are
 * forgotten after a quiet hour.
 *
 * Counting per user stops guessing one password from many addresses, but it
 * would also let anyone lock a user out by failing on purpose. So an address
 * from which a user logged in successfully stays exempt from that user's
 * count (still bound by its own address count): the owner's usual machines
 * keep working while the name is under attack.
 *
 * Pure: time is a parameter. Memory is bounded: the oldest entries are
 * forgotten first.
 */

/** Limits of a {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** Failures before any wait. */
  freeFailures: number;
  /** Wait after the first failure past the free ones; doubles after each further one. */
  baseDelayMs: number;
  /** Longest wait. */
  maxDelayMs: number;
  /** Failures are forgotten after this long without a new one. */
  forgetAfterMs: number;
  /** Entries remembered at most, per kind. */
  maxEntries: number;
}

interface Failures {
  count: number;
  lastMs: number;
}

/** Addresses remembered per user as ones it logged in from. */
const KNOWN_SOURCES_PER_USER = 8;

/** Failed-login counts per user and per source address. */
export class LoginThrottle {
  #options: LoginThrottleOptions;
  #byUser = new Map<string, Failures>();
  #bySource = new Map<string, Failures>();
  /** user -> addresses it logged in from, oldest first. */
  #knownSources = new Map<string, string[]>();

  constructor(options: LoginThrottleOptions) {
    this.#options = options;
  }

  /**
   * How long a login try of `user` from `source` must still wait.
   * @returns 0 when it may go ahead, else the milliseconds left
   */
  waitMs(user: string, source: string, nowMs: number): number {
    const bySource = this.#waitOf(this.#bySource.get(source), nowMs);
    if (this.#knownSources.get(user)?.includes(source) === true) return bySource;
    return Math.max(bySource, this.#waitOf(this.#byUser.get(user), nowMs));
  }

  /** Counts a failed login of `user` from `source`. */
  fail(user: string, source: string, nowMs: number): void {
    this.#count(this.#byUser, user, nowMs);
    this.#count(this.#bySource, source, nowMs);
  }

  /**
   * Remembers `source` as one of the user's addresses. The failures stay:
   * a success must not give a guesser a fresh set of free tries.
   */
  succeed(user: string, source: string): void {
    const known = (this.#knownSources.get(user) ?? []).filter((s) => s !== source);
    known.push(source);
    if (known.length > KNOWN_SOURCES_PER_USER) known.shift();
    this.#knownSources.delete(user);
    this.#knownSources.set(user, known);
    trim(this.#knownSources, this.#options.maxEntries);
  }

  #waitOf(failures: Failures | undefined, nowMs: number): number {
    if (failures === undefined || nowMs - failures.lastMs >= this.#options.forgetAfterMs) return 0;
    const over = failures.count - this.#options.freeFailures;
    if (over <= 0) return 0;
    const delay = Math.min(
      this.#options.maxDelayMs,
      this.#options.baseDelayMs * 2 ** Math.min(over - 1, 30),
    );
    return Math.max(0, failures.lastMs + delay - nowMs);
  }

  #count(map: Map<string, Failures>, key: string, nowMs: number): void {
    const current = map.get(key);
    const fresh = current === undefined || nowMs - current.lastMs >= this.#options.forgetAfterMs;
    map.delete(key); // re-inserted last: the map stays in order of last failure
    map.set(key, { count: fresh ? 1 : current.count + 1, lastMs: nowMs });
    trim(map, this.#options.maxEntries);
  }
}

function trim<K, V>(map: Map<K, V>, maxEntries: number): void {
  while (map.size > maxEntries) map.delete(map.keys().next().value as K);
}
