/**
 * One tracker's replica of the cluster state: the pure state, the HLC clock,
 * the version vector and the durable op log, kept in step. Local writes and
 * ops from peers both enter here. Every op is applied to the state at once
 * (so the next decision sees it) and queued; the queue is committed to SQLite
 * in one transaction per event-loop turn (group commit), and callers are
 * answered only after that commit. Only committed ops are ever sent to peers,
 * so a tracker that crashes never reuses a seq a peer has already seen.
 *
 * Each origin's ops are kept contiguous (1..n): an op whose seq is not the
 * next one is a duplicate or early (dropped; it comes again in order), so the
 * version vector is simply the highest seq. A commit that fails (a full disk)
 * never leaves a gap: what the log holds is loaded again, undoing the failed
 * transaction, and writes are refused until the log commits (write_gate.ts).
 */
import { clearImmediate, setImmediate } from "node:timers";
import { REMEMBERED_RETRIES, WRITE_PROBE_BYTES, WRITE_RETRY_MS } from "./config.ts";
import {
  formatStamp,
  initialClock,
  MAX_STAMP_MS,
  observe,
  parseStamp,
  type Stamp,
  tick,
} from "./hlc.ts";
import type { Op, OpBody } from "./ops.ts";
import { type ManifestSummary, unpackPieceHashes } from "./piece_hashes.ts";
import { applyOp, createState, digestState, mergeState, type TrackerState } from "./state.ts";
import { needsSnapshot } from "./log_truncation.ts";
import { SnapshotSchedule } from "./snapshot_schedule.ts";
import { type LogView, missingOps, opsBehind } from "./replica_feed.ts";
import { RetryMemory } from "./retry_memory.ts";
import { loadReplica } from "./replica_load.ts";
import { OpStore, type VersionVector } from "./storage.ts";
import { WriteGate } from "./write_gate.ts";
import { PeerKnowledge } from "./peer_knowledge.ts";
import type { ReplicaOptions } from "./replica_options.ts";

export type { ReplicaOptions } from "./replica_options.ts";

interface Pending {
  ops: Op[];
  resolve(): void;
  reject(error: unknown): void;
}

/** State, clock, version vector and op log of one tracker. */
export class Replica {
  readonly id: number;
  #store: OpStore;
  #gate: WriteGate;
  #state: TrackerState = createState();
  #clock = initialClock();
  #vv: VersionVector = new Map();
  #committed: VersionVector = new Map();
  #queue: Pending[] = [];
  #flushTimer: ReturnType<typeof setImmediate> | undefined;
  #options: ReplicaOptions;
  #waiters = new Set<() => void>();
  #peers = new PeerKnowledge();
  /** Per origin, the last seq deleted from the log (behind the snapshot). */
  #base: VersionVector = new Map();
  /** Replies already given to commands sent with a retry id, by retry key. */
  #retries = new RetryMemory(REMEMBERED_RETRIES);
  #snapshots = new SnapshotSchedule({
    options: () => this.#options,
    peers: this.#peers,
    store: () => this.#store,
    state: () => this.#state,
    held: () => this.#vv,
    base: () => this.#base,
  });

  private constructor(options: ReplicaOptions, store: OpStore) {
    this.id = options.id;
    this.#options = options;
    this.#store = store;
    this.#gate = new WriteGate({
      retryMs: options.writeRetryMs ?? WRITE_RETRY_MS,
      probe: () => store.probeSpace(WRITE_PROBE_BYTES),
      log: options.log ?? (() => {}),
    });
    this.#load();
    const maxStamp = store.maxStamp();
    // A stamp near the end of the range (taken in before receivers bounded
    // skew) would leave no room to stamp anything: the clock skips it.
    if (maxStamp !== undefined && parseStamp(maxStamp).ms <= MAX_STAMP_MS / 2) {
      this.#clock = observe(this.#clock, maxStamp, this.#now());
    }
  }

  /** Sets state, version vectors and retry replies from what the op log holds. */
  #load(): void {
    const loaded = loadReplica(this.#store);
    this.#state = loaded.state;
    this.#vv = loaded.vv;
    this.#base = loaded.base;
    this.#committed = new Map(this.#vv);
    // Its snapshot job, if any, is abandoned.
    this.#snapshots.restart(loaded.sinceSnapshot, loaded.snapshotLines);
    this.#retries = new RetryMemory(REMEMBERED_RETRIES);
    for (const record of loaded.retries) this.#retries.remember(record);
  }

  /**
   * Opens the op log in the data directory, loads the snapshot and replays newer ops.
   * @returns the replica
   */
  static open(options: ReplicaOptions): Replica {
    const store = (options.openStore ?? ((dir) => new OpStore(dir)))(options.dataDir);
    return new Replica(options, store);
  }

  /** Why writes are refused now (the op log cannot commit), if they are. */
  get unwritable(): string | undefined {
    return this.#gate.cause;
  }

  /** The current state (read-only for callers). */
  get state(): TrackerState {
    return this.#state;
  }

  /** Highest committed seq per origin: what peers can be sent. */
  get committed(): VersionVector {
    return this.#committed;
  }

  /** Highest seq per origin applied to the state, committed or about to be. */
  get held(): VersionVector {
    return this.#vv;
  }

  /**
   * One op this tracker holds, committed or queued for commit.
   * @returns the op, or undefined when it holds no op at that place
   */
  opAt(origin: number, seq: number): Op | undefined {
    if (seq < 1 || seq > (this.#vv.get(origin) ?? 0)) return undefined;
    if (seq > (this.#committed.get(origin) ?? 0)) {
      for (const pending of this.#queue) {
        const op = pending.ops.find((o) => o.origin === origin && o.seq === seq);
        if (op !== undefined) return op;
      }
      return undefined;
    }
    const [op] = this.#store.readAfter(origin, seq - 1, 1);
    return op?.seq === seq ? op : undefined;
  }

  /**
   * The piece hashes of a manifest the state holds, read from disk.
   * @returns lowercase hex hashes, or undefined when they are not held
   */
  async pieceHashesOf(manifest: ManifestSummary): Promise<string[] | undefined> {
    let packed = this.#store.readPieces(manifest.piecesKey);
    if (packed === undefined) {
      await this.#enqueue([]); // the op that carries them may wait for its commit
      packed = this.#store.readPieces(manifest.piecesKey);
    }
    return packed === undefined ? undefined : unpackPieceHashes(packed);
  }

  /** Whether a peer lacks ops that have left the log: it must be sent the snapshot. */
  needsSnapshot(peer: number): boolean {
    return needsSnapshot(this.#peers.of(peer), this.#base);
  }

  /** The op log, for reading the saved snapshot and piece hashes to send a peer. */
  get store(): Pick<OpStore, "snapshotPage" | "readPieces" | "putPieces"> {
    return this.#store;
  }

  /** Merges a peer's snapshot (covering `vv`) and saves one at once: the log lacks its ops. */
  installSnapshot(state: TrackerState, vv: VersionVector, fromPeer: number): void {
    // What is queued is committed first, in this same turn: the snapshot saved below covers only
    // committed ops and the peer's.
    this.#flush();
    this.#snapshots.stop();
    mergeState(this.#state, state);
    const ahead: VersionVector = new Map();
    for (const [origin, seq] of vv) if (seq > (this.#vv.get(origin) ?? 0)) ahead.set(origin, seq);
    for (const [origin, seq] of ahead) {
      this.#vv.set(origin, seq);
      this.#committed.set(origin, seq);
    }
    const known = this.#peers.of(fromPeer);
    for (const [origin, seq] of vv) if (seq > (known.get(origin) ?? 0)) known.set(origin, seq);
    this.#snapshots.saveNow(ahead);
    this.wakeAll();
  }

  /** Total ops committed. */
  get opCount(): number {
    let total = 0;
    for (const seq of this.#committed.values()) total += seq;
    return total;
  }

  /** The state digest and op count, for comparing replicas. */
  digest(): { digest: string; ops: number } {
    return { digest: digestState(this.#state), ops: this.opCount };
  }

  /**
   * The reply already given to a command sent with this retry key, here or
   * on any tracker whose ops reached this one.
   * @returns the reply, once the op that carries it is durable; undefined when unknown
   */
  async answered(retryKey: string): Promise<Record<string, unknown> | undefined> {
    const reply = this.#retries.get(retryKey);
    if (reply !== undefined) await this.#enqueue([]);
    return reply;
  }

  /**
   * Decides and commits a local write. `decide` runs synchronously on the
   * current state with the stamp its first op will carry. With a retry key,
   * a command already applied is answered with its first reply instead.
   * @returns the decision's data, once its ops are durable
   * @throws {AppError} whatever `decide` throws
   */
  async write<T extends object>(
    decide: (stamp: Stamp) => { bodies: OpBody[]; data: T },
    retryKey?: string,
  ): Promise<T> {
    if (retryKey !== undefined) {
      const earlier = await this.answered(retryKey);
      if (earlier !== undefined) return earlier as T;
    }
    this.#gate.check();
    this.#clock = tick(this.#clock, this.#now());
    const { bodies, data } = decide(formatStamp(this.#clock, this.id));
    const ops: Op[] = [];
    for (const [i, body] of bodies.entries()) {
      if (i > 0) this.#clock = tick(this.#clock, this.#now());
      const seq = (this.#vv.get(this.id) ?? 0) + 1;
      this.#vv.set(this.id, seq);
      const op: Op = { origin: this.id, seq, stamp: formatStamp(this.#clock, this.id), body };
      this.#snapshots.beforeApply(op);
      applyOp(this.#state, op);
      ops.push(op);
    }
    if (retryKey !== undefined && ops.length > 0) {
      ops[0]!.retry = { key: retryKey, reply: data as Record<string, unknown> };
      this.#retries.remember(ops[0]!.retry);
    }
    // Even with no ops, wait for queued ones: the answer may rest on them.
    await this.#enqueue(ops);
    return data;
  }

  /**
   * Takes ops from a peer: drops duplicates and out-of-order ops, applies and commits the rest.
   * @param ops validated ops
   * @param fromPeer the sending tracker's id (it has these ops, so they are not echoed back)
   * @returns how many were new, once they are durable
   */
  async receive(ops: readonly Op[], fromPeer: number): Promise<number> {
    this.#gate.check();
    const known = this.#peers.of(fromPeer);
    const fresh: Op[] = [];
    let failure: unknown;
    for (const op of ops) {
      if (op.seq > (known.get(op.origin) ?? 0)) known.set(op.origin, op.seq);
      if (op.seq !== (this.#vv.get(op.origin) ?? 0) + 1) continue;
      try {
        const maxAheadMs = this.#options.maxClockSkewMs;
        this.#clock = observe(this.#clock, op.stamp, this.#now(), maxAheadMs);
      } catch (error) {
        failure = error; // e.g. a stamp too far ahead: keep what came before it
        break;
      }
      this.#vv.set(op.origin, op.seq);
      this.#snapshots.beforeApply(op);
      applyOp(this.#state, op);
      if (op.retry !== undefined) this.#retries.remember(op.retry);
      fresh.push(op);
    }
    await this.#enqueue(fresh);
    if (failure !== undefined) throw failure;
    return fresh.length;
  }

  /** Forgets what a peer held (it may have lost data); the next handshake tells again. */
  resetKnown(peer: number, vv: VersionVector): void {
    this.#peers.reset(peer, vv);
  }

  /**
   * Reads committed ops a peer lacks, in per-origin seq order (this tracker's own first).
   * @param skipOrigins origins the peer will not take now
   * @returns at most `maxOps` ops, stopping early after `maxBytes` of JSON
   */
  missingFor(
    peer: number,
    maxOps: number,
    maxBytes: number,
    skipOrigins: ReadonlySet<number> = new Set(),
  ): Op[] {
    const limits = { maxOps, maxBytes, skipOrigins };
    return missingOps(this.#store, this.#logView(), this.#peers.of(peer), limits);
  }

  /** Ops committed here that a peer is not known to have. */
  behindFor(peer: number): number {
    return opsBehind(this.#committed, this.#peers.of(peer));
  }

  /** Resolves at the next commit of new ops (or when {@link wakeAll} is called). */
  nextCommit(): Promise<void> {
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  /** Wakes everything waiting in {@link nextCommit}. */
  wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Commits what is queued, saves a snapshot and closes the op log. */
  close(): void {
    this.#gate.close();
    this.#flush();
    try {
      this.#snapshots.closing();
    } finally {
      this.#gate.close(); // a failed last commit may have started a probe
      this.#store.close();
      this.wakeAll();
    }
  }

  #now(): number {
    return (this.#options.nowMs ?? Date.now)();
  }

  #logView(): LogView {
    return { id: this.id, committed: this.#committed, base: this.#base };
  }

  #enqueue(ops: Op[]): Promise<void> {
    if (ops.length === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject });
      // After this turn's I/O: every request that arrived meanwhile joins the transaction.
      this.#flushTimer ??= setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
    this.#flushTimer = undefined;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const ops = batch.flatMap((pending) => pending.ops);
    try {
      if (ops.length > 0) this.#store.append(ops);
    } catch (error) {
      const refusal = this.#gate.failed(error);
      this.#load(); // undo what the failed transaction applied: no gap in the log
      for (const pending of batch) pending.reject(refusal);
      this.wakeAll();
      return;
    }
    for (const op of ops) {
      if (op.seq > (this.#committed.get(op.origin) ?? 0)) this.#committed.set(op.origin, op.seq);
    }
    for (const pending of batch) pending.resolve();
    this.#snapshots.committed(ops.length);
    if (ops.length > 0) this.wakeAll();
  }
}
