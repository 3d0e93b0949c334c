/**
 * Keeps this client a live peer: while logged in it renews its peer lease on
 * the tracker every few seconds (the tracker writes a lease op only when half
 * of the lease has run), and says it is leaving when it closes, so its
 * shares stop being handed out at once instead of when the lease runs out.
 * Each tick also runs `onTick` (the share manager's check of shared files).
 */
import type { TrackerSession } from "../session/tracker_session.ts";

/** How often the lease is renewed; the tracker's lease lasts several of these. */
export const KEEP_ALIVE_INTERVAL_MS = 2500;
/** How long a closing client waits for its leaving to be heard. */
const LEAVING_WAIT_MS = 1500;

/** Options of {@link PeerPresence}. */
export interface PeerPresenceOptions {
  session: TrackerSession;
  seederAddr: string;
  onTick?: () => Promise<void>;
  intervalMs?: number;
}

/** The lease renewal loop of one client. */
export class PeerPresence {
  #o: PeerPresenceOptions;
  #timer: ReturnType<typeof setInterval>;
  #busy = false;

  /** Starts renewing. @param options the session, this client's seeder address */
  constructor(options: PeerPresenceOptions) {
    this.#o = options;
    this.#timer = setInterval(() => this.#tick(), options.intervalMs ?? KEEP_ALIVE_INTERVAL_MS);
  }

  /** Renews the lease now (after a login, before the first tick). */
  renew(): void {
    this.#tick();
  }

  /** Stops renewing and tells the tracker this client leaves (bounded wait). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#o.session.user === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const leaving = this.#o.session.call("keep_alive", {
      addr: this.#o.seederAddr,
      leaving: true,
    }).catch(() => {});
    await Promise.race([leaving, new Promise((r) => timer = setTimeout(r, LEAVING_WAIT_MS))]);
    clearTimeout(timer);
  }

  #tick(): void {
    if (this.#busy || this.#o.session.user === undefined) return;
    this.#busy = true;
    const renew = this.#o.session.call("keep_alive", { addr: this.#o.seederAddr }).catch(() => {});
    Promise.all([renew, this.#o.onTick?.().catch(() => {})]).finally(() => this.#busy = false);
  }
}
