/**
 * client/session/ holds the client's link to the cluster: this session, the
 * failover plan that orders the trackers to try (failover_plan.ts) and the
 * balancer query (balancer_query.ts). It knows nothing of the shell or of the
 * local registry; what it must keep between runs goes through a SessionStore.
 *
 * The client's session with a tracker: one control connection that carries
 * both the user's commands and the heartbeats, and moves to another tracker
 * when this one dies.
 *
 * Why it works this way: a crashed tracker closes its sockets, so the
 * connection's `closed` promise notices a crash at once; a hung tracker keeps
 * its sockets open, so only a heartbeat that goes unanswered for
 * `heartbeatTimeoutMs` can notice it. Either way the connection is dropped,
 * which fails every request still waiting on it with UNAVAILABLE. `call()`
 * treats that (and a request timeout) as "the tracker is gone, not the
 * command": it waits for the reconnect and sends the same command again, so
 * the user sees the command's normal answer and one notice line. Reconnecting
 * asks the balancer for the least-loaded live tracker (and hints that the old
 * one died), falls back to the configured list when the balancer is down, pings
 * a candidate before trusting it (a stopped process still accepts TCP), has it
 * prove it belongs to the cluster (tracker_trust.ts), and resumes the session
 * there: the token first (valid cluster-wide), else a login with the password
 * kept in memory since this process's login (it is never written to disk).
 * When nothing answers it says so once and keeps trying in the background
 * with a bounded backoff.
 */
import { AppError } from "../../protocol/errors.ts";
import { RpcClient } from "../../protocol/rpc_client.ts";
import { sleep } from "../../protocol/sleep.ts";
import { SESSION_WRITE_COMMANDS, type TrackerReplies } from "../../protocol/tracker_messages.ts";
import { askBalancers, type Suggestion } from "./balancer_query.ts";
import { proveTracker, trustRule } from "./tracker_trust.ts";
import { planCandidates, retryDelayMs } from "./failover_plan.ts";
import type { TrackerSessionOptions } from "./session_types.ts";

export type {
  SessionRecord,
  SessionStore,
  SessionTimings,
  TrackerSessionOptions,
} from "./session_types.ts";

const PUBLIC_COMMANDS: ReadonlySet<string> = new Set(["ping", "create_user", "login"]);
/** Commands that change state: they carry a retry id, so a retry is never applied twice. */
const WRITE_COMMANDS: ReadonlySet<string> = new Set(["create_user", ...SESSION_WRITE_COMMANDS]);
const MAX_ATTEMPTS = 4;
/** Most trackers a balancer is asked to leave out (its own limit is higher). */
const MAX_EXCLUDED = 32;

type Cmd = keyof TrackerReplies;

/** A tracker session that survives the loss of its tracker. */
export class TrackerSession {
  #o: TrackerSessionOptions;
  #rpc: RpcClient | undefined;
  #reconnecting: Promise<RpcClient | undefined> | undefined;
  #user: string | undefined;
  #token: string | undefined;
  #password: string | undefined;
  #clusterKey: string | undefined;
  #pinnedKey: string | undefined;
  /** Trackers already named in a "could not prove" notice, so each is named once. */
  #named = new Set<string>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #pinging = false;
  #closed = false;
  #closing = new AbortController();

  /** @param options trackers, balancers, timings, the session store and callbacks */
  constructor(options: TrackerSessionOptions) {
    this.#o = options;
    this.#pinnedKey = options.store.pinnedClusterKey();
    const saved = options.store.session();
    if (saved !== undefined) {
      this.#user = saved.user;
      this.#token = saved.token ?? undefined;
    }
  }

  /** The logged-in user, if any. */
  get user(): string | undefined {
    return this.#token !== undefined || this.#password !== undefined ? this.#user : undefined;
  }

  /** The cluster's public key: the one pinned at the first login, else the last login's. */
  get clusterKey(): string | undefined {
    return this.#pinnedKey ?? this.#clusterKey;
  }

  /** Heartbeats answered and missed, their round-trip times, and failovers, since start. */
  readonly health = { answered: 0, missed: 0, rttMsSum: 0, lastRttMs: 0, failovers: 0 };

  /** The tracker in use, if connected. */
  get trackerAddr(): string | undefined {
    return this.#rpc?.addr;
  }

  /** Starts connecting (in the background) and the heartbeat. */
  start(): void {
    this.#heartbeat = setInterval(() => this.#beat(), this.#o.heartbeatIntervalMs);
    void this.#ensure(undefined);
  }

  /** Stops the heartbeat and closes the connection. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#closing.abort();
    this.#rpc?.close();
    this.#rpc = undefined;
  }

  /**
   * Logs in, caches the credentials and starts the session.
   * @returns the tracker's reply
   * @throws {AppError} BAD_CREDENTIALS and the like
   */
  async login(user: string, password: string): Promise<TrackerReplies["login"]> {
    const reply = await this.call("login", { user, password });
    this.#learnKey(reply.clusterKey);
    this.#user = reply.user;
    this.#token = reply.token;
    this.#password = password;
    this.#save();
    this.#o.onSessionStarted(reply.user);
    return reply;
  }

  /** Logs out here and on the tracker, forgetting the cached credentials. */
  async logout(): Promise<void> {
    try {
      await this.call("logout", {});
    } catch (error) {
      if (!(error instanceof AppError && error.code === "NOT_LOGGED_IN")) throw error;
    }
    this.#user = this.#token = this.#password = undefined;
    this.#o.store.clearSession();
  }

  /**
   * Sends a command (with the session token), retrying on another tracker if this one dies.
   * @returns the reply's data
   * @throws {AppError} the tracker's error, or UNAVAILABLE when no tracker can be reached
   */
  async call<C extends Cmd>(cmd: C, fields: Record<string, unknown>): Promise<TrackerReplies[C]> {
    let lastError: AppError | undefined;
    let relogged = false;
    // The same retry id on every attempt: a tracker that already has this
    // write (from the attempt whose reply was lost) answers instead of redoing it.
    const retry = WRITE_COMMANDS.has(cmd) ? { rid: crypto.randomUUID() } : {};
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const rpc = await this.#ready();
      try {
        // No token (a re-login failed, or the user logged out): say so here,
        // rather than send a session command the tracker can only call malformed.
        if (!PUBLIC_COMMANDS.has(cmd) && this.#token === undefined && !(await this.#relogin(rpc))) {
          throw new AppError("NOT_LOGGED_IN", "Log in first");
        }
        const body = PUBLIC_COMMANDS.has(cmd) || this.#token === undefined
          ? { ...fields, ...retry }
          : { ...fields, ...retry, token: this.#token };
        return await rpc.request<TrackerReplies[C]>(cmd, body, this.#o.requestTimeoutMs);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        lastError = error;
        if (isConnectionLoss(error, rpc)) {
          this.#lost(rpc);
        } else if (error.code === "NOT_LOGGED_IN" && !PUBLIC_COMMANDS.has(cmd) && !relogged) {
          relogged = true;
          if (!(await this.#relogin(rpc))) throw error;
        } else {
          throw error;
        }
      }
    }
    throw lastError ?? new AppError("UNAVAILABLE", "No tracker answered");
  }

  /** Keeps a login's cluster key; the first one is pinned for good. */
  #learnKey(key: string): void {
    this.#clusterKey = key;
    if (this.#pinnedKey !== undefined || typeof key !== "string" || key === "") return;
    this.#pinnedKey = key;
    this.#o.store.pinClusterKey(key);
  }

  #save(): void {
    if (this.#user === undefined) return;
    this.#o.store.saveSession({
      user: this.#user,
      token: this.#token ?? null,
    });
  }

  async #ready(): Promise<RpcClient> {
    if (this.#rpc !== undefined && !this.#rpc.isClosed) return this.#rpc;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#o.commandWaitMs);
    });
    try {
      const rpc = await Promise.race([this.#ensure(undefined), timeout]);
      if (rpc !== undefined) return rpc;
    } finally {
      clearTimeout(timer);
    }
    throw new AppError("UNAVAILABLE", "No tracker is reachable; still trying in the background");
  }

  #ensure(dead: string | undefined): Promise<RpcClient | undefined> {
    if (this.#rpc !== undefined && !this.#rpc.isClosed) return Promise.resolve(this.#rpc);
    this.#reconnecting ??= this.#reconnect(dead).finally(() => this.#reconnecting = undefined);
    return this.#reconnecting;
  }

  #lost(rpc: RpcClient): void {
    rpc.close();
    if (this.#rpc !== rpc || this.#closed) return;
    this.#rpc = undefined;
    void this.#ensure(rpc.addr);
  }

  #beat(): void {
    const rpc = this.#rpc;
    if (rpc === undefined || this.#pinging) return;
    this.#pinging = true;
    const sentMs = performance.now();
    rpc.request("ping", {}, this.#o.heartbeatTimeoutMs)
      .then(() => {
        this.health.answered++;
        this.health.lastRttMs = performance.now() - sentMs;
        this.health.rttMsSum += this.health.lastRttMs;
      }, () => {
        this.health.missed++;
        this.#lost(rpc);
      })
      .finally(() => this.#pinging = false);
  }

  async #reconnect(dead: string | undefined): Promise<RpcClient | undefined> {
    let saidDown = false;
    const refused = new Set<string>();
    for (let round = 0; !this.#closed; round++) {
      const exclude = [...(round === 0 && dead !== undefined ? [dead] : []), ...refused]
        .slice(0, MAX_EXCLUDED);
      const suggestion = await askBalancers(this.#o.balancers, {
        exclude,
        dead: round === 0 ? dead : undefined,
        connectTimeoutMs: this.#o.connectTimeoutMs,
        requestTimeoutMs: this.#o.heartbeatTimeoutMs,
        caCerts: this.#o.caCerts,
      });
      const suggested = suggestion?.addr;
      const candidates = planCandidates({ trackers: this.#o.trackers, suggested, exclude, dead });
      for (const addr of candidates) {
        if (this.#closed) return undefined;
        const rpc = await this.#tryTracker(addr, suggestion);
        if (rpc === "unproven") refused.add(addr);
        if (rpc === undefined || rpc === "unproven") continue;
        this.#adopt(rpc);
        if (dead !== undefined) this.health.failovers++;
        if (dead !== undefined && !saidDown) {
          this.#o.onNotice(`notice: tracker ${dead} stopped answering; now using ${addr}`);
        } else if (saidDown) {
          this.#o.onNotice(`notice: reached tracker ${addr}; carrying on`);
        }
        return rpc;
      }
      if (!saidDown) {
        const lost = dead === undefined ? "" : `tracker ${dead} stopped answering; `;
        this.#o.onNotice(`notice: ${lost}no tracker is reachable; retrying in the background`);
        saidDown = true;
      }
      await sleep(
        retryDelayMs(round, this.#o.firstRetryDelayMs, this.#o.maxRetryDelayMs),
        this.#closing.signal,
      );
    }
    return undefined;
  }

  #adopt(rpc: RpcClient): void {
    this.#rpc = rpc;
    rpc.closed.then(() => this.#lost(rpc));
    if (this.#closed) rpc.close();
    const user = this.user;
    if (user !== undefined && this.#token !== undefined) this.#o.onSessionStarted(user);
  }

  /** Connects, checks the tracker may be trusted, resumes the session; "unproven" when it may not. */
  async #tryTracker(
    addr: string,
    suggestion: Suggestion | undefined,
  ): Promise<RpcClient | "unproven" | undefined> {
    const rule = trustRule(addr, {
      pinnedKey: this.#pinnedKey,
      configured: this.#o.trackers,
      suggestion,
    });
    if (rule.kind === "untrusted") {
      this.#skipped(addr, `tracker ${addr} is not trusted yet: ${rule.why}`);
      return "unproven";
    }
    let rpc: RpcClient | undefined;
    try {
      rpc = await RpcClient.connect(addr, {
        connectTimeoutMs: this.#o.connectTimeoutMs,
        caCerts: this.#o.caCerts,
      });
      await rpc.request("ping", {}, this.#o.heartbeatTimeoutMs);
      const timeoutMs = this.#o.heartbeatTimeoutMs;
      if (rule.kind === "prove" && !(await proveTracker(rpc, addr, rule.key, timeoutMs))) {
        rpc.close();
        this.#skipped(
          addr,
          `tracker ${addr} could not prove it belongs to the cluster this client first logged ` +
            `in to (a client moving to another cluster needs a fresh --data-dir)`,
        );
        return "unproven";
      }
      await this.#restore(rpc);
      return rpc;
    } catch {
      rpc?.close();
      return undefined;
    }
  }

  /** Tells the user once per tracker that it was skipped. */
  #skipped(addr: string, line: string): void {
    if (this.#named.has(addr)) return;
    if (this.#named.size >= 256) this.#named.clear();
    this.#named.add(addr);
    this.#o.onNotice(`notice: ${line}; skipped it, sent it nothing`);
  }

  /** Resumes the session on a fresh connection: the token, else the cached password. */
  async #restore(rpc: RpcClient): Promise<void> {
    if (this.#token !== undefined) {
      try {
        const me = await rpc.request<TrackerReplies["whoami"]>(
          "whoami",
          { token: this.#token },
          this.#o.heartbeatTimeoutMs,
        );
        this.#clusterKey ??= me.clusterKey; // a session resumed from its saved token
        return;
      } catch (error) {
        if (!(error instanceof AppError) || isConnectionLoss(error, rpc)) throw error;
        this.#token = undefined;
        if (this.#password === undefined) this.#dropSavedSession(rpc.addr, error);
      }
    }
    if (this.#user !== undefined && this.#password !== undefined) await this.#relogin(rpc);
  }

  /** A saved token the tracker refused (expired, logged out, or another cluster's): say so once. */
  #dropSavedSession(addr: string, error: AppError): void {
    this.#o.onNotice(
      `notice: tracker ${addr} refused the saved session of ${this.#user} ` +
        `(${error.code}: ${error.message}); log in again`,
    );
    this.#user = undefined;
    this.#o.store.clearSession();
  }

  /** Logs in again with the cached password; @returns whether it worked */
  async #relogin(rpc: RpcClient): Promise<boolean> {
    if (this.#user === undefined || this.#password === undefined) return false;
    try {
      const reply = await rpc.request<TrackerReplies["login"]>(
        "login",
        { user: this.#user, password: this.#password },
        Math.max(this.#o.heartbeatTimeoutMs, this.#o.reloginTimeoutMs),
      );
      this.#token = reply.token;
      this.#learnKey(reply.clusterKey);
      this.#save();
      return true;
    } catch (error) {
      if (!(error instanceof AppError) || isConnectionLoss(error, rpc)) throw error;
      this.#o.onNotice(`notice: could not log in again as ${this.#user}: ${error.message}`);
      this.#user = this.#token = this.#password = undefined;
      this.#o.store.clearSession();
      return false;
    }
  }
}

function isConnectionLoss(error: AppError, rpc: RpcClient): boolean {
  return rpc.isClosed || error.code === "TIMEOUT";
}
