/**
 * Test configurations of the client and the balancer (the tracker's is in
 * tracker_helpers.ts): each program's defaults with loopback, port 0, a temp
 * data dir and short timeouts. Also an in-memory session store.
 */
import { type BalancerConfig, defaultBalancerConfig } from "../balancer/config.ts";
import { type ClientConfig, defaultClientConfig } from "../client/config.ts";
import type { SessionRecord, SessionStore } from "../client/session/tracker_session.ts";

/**
 * A client config for in-process tests.
 * @param dataDir the client's registry directory
 * @returns the config, with `overrides` applied last
 */
export function clientTestConfig(
  dataDir: string,
  overrides: Partial<ClientConfig> = {},
): ClientConfig {
  return {
    ...defaultClientConfig(),
    dataDir,
    host: "127.0.0.1",
    port: 0,
    workers: 2,
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 5000,
    connectTimeoutMs: 1000,
    requestTimeoutMs: 5000,
    commandWaitMs: 10_000,
    maxRetryDelayMs: 200,
    ...overrides,
  };
}

/**
 * A balancer config for in-process tests.
 * @returns the config, with `overrides` applied last
 */
export function balancerTestConfig(overrides: Partial<BalancerConfig> = {}): BalancerConfig {
  return {
    ...defaultBalancerConfig(),
    host: "127.0.0.1",
    port: 0,
    pingIntervalMs: 50,
    pingTimeoutMs: 500,
    ...overrides,
  };
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
}
