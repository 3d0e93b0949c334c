/**
 * The set of outbound links of one tracker: one per configured peer, plus one
 * per peer that dialed in and told its address (so a tracker configured with
 * a single peer still reaches the whole cluster). When a known peer shows up
 * at a new address (it restarted on another port), its link follows it.
 */
import type { LinkStatus } from "../protocol/tracker_messages.ts";
import type { TrackerConfig } from "./config.ts";
import type { Replica } from "./replica.ts";
import { type PeerLink, startPeerLink } from "./replication_link.ts";

/** Outbound cluster links, keyed by address and, once known, by peer id. */
export class PeerLinks {
  #links: PeerLink[] = [];
  #replica: Replica;
  #config: TrackerConfig;
  #selfAddr: string;
  #closed = false;

  /**
   * Starts a link to every configured peer (none without a cluster secret).
   * @param selfAddr this tracker's control address, told to peers
   */
  constructor(replica: Replica, config: TrackerConfig, selfAddr: string) {
    this.#replica = replica;
    this.#config = config;
    this.#selfAddr = selfAddr;
    for (const peer of new Set(config.peers)) this.#start(peer);
  }

  /** Each link's state and backlog. */
  statuses(): LinkStatus[] {
    return this.#links.map((link) => link.status());
  }

  /**
   * Makes sure an authenticated peer that dialed in is dialed back at its address.
   * @param peerId its tracker id
   * @param addr the address it announced, if any
   */
  ensure(peerId: number, addr: string | undefined): void {
    if (this.#closed || addr === undefined || addr === this.#selfAddr) return;
    if (this.#links.some((link) => link.peer === addr)) return;
    const stale = this.#links.filter((link) =>
      link.peerId() === peerId && link.status().state !== "connected"
    );
    if (stale.length === 0 && this.#links.some((link) => link.peerId() === peerId)) return;
    this.#links = this.#links.filter((link) => !stale.includes(link));
    for (const link of stale) {
      this.#config.log(`cluster: tracker ${peerId} moved from ${link.peer} to ${addr}`);
      link.close();
    }
    this.#start(addr);
  }

  /** Closes every link. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#links.map((link) => link.close()));
  }

  #start(peer: string): void {
    const secret = this.#config.clusterSecret;
    if (secret === undefined) return;
    this.#links.push(startPeerLink({
      peer,
      replica: this.#replica,
      selfAddr: this.#selfAddr,
      clusterSecret: secret,
      reconnectInitialMs: this.#config.reconnectInitialMs,
      reconnectMaxMs: this.#config.reconnectMaxMs,
      batchOps: this.#config.replicationBatchOps,
      log: this.#config.log,
      caCerts: this.#config.tlsCaCerts,
    }));
  }
}
