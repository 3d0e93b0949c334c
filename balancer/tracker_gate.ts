/**
 * The balancer's gate for trackers, one per connection. A registration
 * counts only with a fresh proof of the cluster secret, bound to this
 * connection's two nonces and to the address this connection reached the
 * balancer on (see protocol/balancer_auth.ts), so it can be neither replayed
 * on another connection nor relayed through another address. Without a
 * cluster secret only a loopback tracker, registering over a loopback
 * connection, counts. After a registration, load reports are taken for that
 * tracker only, and only on this connection. Nothing unproven reaches the
 * table, so nobody can fill it or make the balancer dial an address of theirs.
 */
import { parseHostPort } from "../protocol/conn_io.ts";
import { AppError } from "../protocol/errors.ts";
import { newNonce } from "../protocol/cluster_messages.ts";
import { proofMatches } from "../protocol/link_auth.ts";
import { isLoopbackHost, trackerProof } from "../protocol/balancer_auth.ts";

/** Most trackers one connection may speak for. */
const MAX_REGISTERED_PER_CONN = 64;

/** Options of {@link TrackerGate}. */
export interface GateOptions {
  /** The cluster secret; undefined admits loopback trackers only. */
  clusterSecret: string | undefined;
  /** The address this connection reached the balancer on, ip:port. */
  localAddr: string;
  /** The connection's remote address, ip:port, for checks and log lines. */
  remoteAddr: string;
  /** Told of the first refusal on the connection. */
  log: (line: string) => void;
}

/** Who may register and report on one connection. */
export class TrackerGate {
  #options: GateOptions;
  #challenge: { addr: string; trackerNonce: string; balancerNonce: string } | undefined;
  /** The trackers this connection registered (a tracker's link registers one). */
  #registered = new Set<string>();
  #loggedRefusal = false;

  /** @param options the secret and the connection's addresses */
  constructor(options: GateOptions) {
    this.#options = options;
  }

  /**
   * Starts a proof: records the tracker's nonce and answers with a fresh one.
   * @returns the balancer's nonce
   */
  hello(addr: string, trackerNonce: string): { nonce: string } {
    const balancerNonce = newNonce();
    this.#challenge = { addr, trackerNonce, balancerNonce };
    return { nonce: balancerNonce };
  }

  /**
   * Checks a registration; on success this connection speaks for `addr`.
   * @throws {AppError} UNAUTHORIZED when it proves nothing
   */
  register(addr: string, balancer: string | undefined, proof: string | undefined): void {
    const secret = this.#options.clusterSecret;
    const challenge = this.#challenge;
    this.#challenge = undefined; // one try per challenge
    if (secret === undefined) {
      const remoteHost = parseHostPort(this.#options.remoteAddr).hostname;
      if (!isLoopbackHost(remoteHost) || !isLoopbackHost(parseHostPort(addr).hostname)) {
        this.#refuse(
          addr,
          "this balancer has no cluster secret and accepts trackers on loopback only",
        );
      }
    } else {
      if (challenge === undefined || challenge.addr !== addr) {
        this.#refuse(addr, "register_tracker needs a tracker_hello for the same address first");
      }
      if (proof === undefined || balancer === undefined) {
        this.#refuse(addr, "no proof of the cluster secret");
      }
      if (balancer !== this.#options.localAddr) {
        this.#refuse(addr, `its proof is for ${balancer}, not ${this.#options.localAddr}`);
      }
      const expected = trackerProof(secret, {
        trackerNonce: challenge.trackerNonce,
        balancerNonce: challenge.balancerNonce,
        balancerAddr: balancer,
        trackerAddr: addr,
      });
      if (!proofMatches(expected, proof)) this.#refuse(addr, "wrong cluster secret");
    }
    if (!this.#registered.has(addr) && this.#registered.size >= MAX_REGISTERED_PER_CONN) {
      this.#refuse(addr, `one connection registers at most ${MAX_REGISTERED_PER_CONN} trackers`);
    }
    this.#registered.add(addr);
  }

  /**
   * Checks a load report.
   * @throws {AppError} UNAUTHORIZED unless this connection registered `addr`
   */
  report(addr: string): void {
    if (!this.#registered.has(addr)) {
      this.#refuse(addr, "load reports are taken only on the connection that registered it");
    }
  }

  #refuse(addr: string, reason: string): never {
    if (!this.#loggedRefusal) {
      this.#loggedRefusal = true;
      this.#options.log(`refused tracker ${addr} from ${this.#options.remoteAddr}: ${reason}`);
    }
    throw new AppError("UNAUTHORIZED", `Tracker ${addr} refused: ${reason}`);
  }
}
