/**
 * Test configurations of the client and the balancer, on top of each
 * program's own testConfig(), and an in-memory session store.
 */
import { type BalancerConfig, testConfig as testBalancerConfig } from "../balancer/config.ts";
import { type ClientConfig, testConfig as testClientConfig } from "../client/config.ts";
import type { SessionRecord, SessionStore } from "../client/session/tracker_session.ts";

/**
 * A client config for in-process tests: the client's testConfig(), with a
 * heartbeat timeout long enough that a loaded machine never fakes a failover.
 * @param dataDir the client's registry directory
 * @returns the config, with `overrides` applied last
 */
export function clientTestConfig(
  dataDir: string,
  overrides: Partial<ClientConfig> = {},
): ClientConfig {
  return testClientConfig(dataDir, {
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 5000,
    commandWaitMs: 10_000,
    maxRetryDelayMs: 200,
    ...overrides,
  });
}

/**
 * A balancer config for in-process tests: the balancer's testConfig() with a
 * ping timeout that tolerates a loaded machine.
 * @returns the config, with `overrides` applied last
 */
export function balancerTestConfig(overrides: Partial<BalancerConfig> = {}): BalancerConfig {
  return testBalancerConfig({ pingIntervalMs: 50, pingTimeoutMs: 500, ...overrides });
}

/** A session store in memory, that remembers what was saved. */
export class MemoryStore implements SessionStore {
  saved: SessionRecord | undefined;

  /** @param initial the session to start with, if any */
  constructor(initial?: SessionRecord) {
    this.saved = initial;
  }

  /** @returns the saved session */
  session(): SessionRecord | undefined {
    return this.saved;
  }

  /** Keeps a session. */
  saveSession(session: SessionRecord): void {
    this.saved = { ...session };
  }

  /** Forgets the session. */
  clearSession(): void {
    this.saved = undefined;
  }

  /** The cluster key pinned at the first login, if any. */
  pinned: string | undefined;

  /** @returns the pinned cluster key */
  pinnedClusterKey(): string | undefined {
    return this.pinned;
  }

  /** Pins the cluster key. */
  pinClusterKey(key: string): void {
    this.pinned = key;
  }
}
