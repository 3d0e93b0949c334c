/**
 * When a replica saves snapshots, and how. Every N ops, or once as many ops
 * as the last snapshot had lines when that is more: writing a snapshot then
 * costs at most about a line per op, however large the state, and a restart
 * reads at most about twice the snapshot (its lines, then the ops since).
 * The op count alone would not do: a small state kept busy by lease renewals
 * would be snapshotted, and its log cut, ever more rarely as its history grew.
 * While catching up on ops a peer is known to hold, wait until caught up
 * (for at most SNAPSHOT_DEFER_MAX_OPS more ops): catching up on 100,000 ops
 * otherwise serialized the growing state five times, half the catch-up time.
 * A due snapshot is written a slice per turn (snapshot_job.ts), one at a
 * time; one is saved at once only where it must be (after a peer's snapshot
 * is installed, and on close).
 */
import { SNAPSHOT_DEFER_MAX_OPS } from "./config.ts";
import type { Op } from "./ops.ts";
import type { PeerKnowledge } from "./peer_knowledge.ts";
import type { ReplicaOptions } from "./replica_options.ts";
import { saveSnapshot } from "./replica_snapshot.ts";
import { SnapshotJob } from "./snapshot_job.ts";
import type { TrackerState } from "./state.ts";
import type { OpStore, VersionVector } from "./storage.ts";

/** What the schedule reads of its replica, as it is at each call. */
export interface ScheduledReplica {
  options(): ReplicaOptions;
  peers: PeerKnowledge;
  store(): OpStore;
  state(): TrackerState;
  /** Highest seq applied per origin (all committed when a snapshot starts). */
  held(): VersionVector;
  /** Per origin, the last seq cut from the log (changed in place by a cut). */
  base(): VersionVector;
}

/** The snapshots of one replica; see the module comment. */
export class SnapshotSchedule {
  #replica: ScheduledReplica;
  #since = 0;
  /** Lines of the latest snapshot saved or loaded: the size of the state it held. */
  #lines = 0;
  /** The latest job: writing a snapshot, or (once it is in) deleting the old one's rows. */
  #job: SnapshotJob | undefined;
  #writing = false;

  /** A schedule for `replica`, with no ops since its last snapshot. */
  constructor(replica: ScheduledReplica) {
    this.#replica = replica;
  }

  /**
   * Starts counting again after a load that replayed `since` ops over a
   * snapshot of `lines` lines (0: none).
   */
  restart(since: number, lines: number): void {
    this.stop();
    this.#since = since;
    this.#lines = lines;
  }

  /** Keeps what `op` changes for the snapshot being written; call it before applying the op. */
  beforeApply(op: Op): void {
    if (this.#writing) this.#job?.beforeApply(op);
  }

  /** Counts ops just committed (the queue is empty) and starts a snapshot when one is due. */
  committed(count: number): void {
    this.#since += count;
    if (this.#due()) this.#start();
  }

  /**
   * Abandons the snapshot being written (the state is about to change wholesale).
   * @returns whether there was one
   */
  stop(): boolean {
    const writing = this.#writing;
    this.#job?.abandon();
    [this.#job, this.#writing] = [undefined, false];
    return writing;
  }

  /** On close: saves a snapshot at once if the log has ops it does not cover. */
  closing(): void {
    if (this.stop() || this.#since > 0) this.saveNow();
  }

  /** Saves a snapshot at once, then cuts the log behind it (at least up to `cut`). */
  saveNow(cut: VersionVector = new Map()): void {
    this.stop();
    const r = this.#replica;
    const saved = saveSnapshot({
      store: r.store(),
      state: r.state(),
      held: r.held(),
      base: r.base(),
      peers: r.peers.all(),
      cut,
      logKeepOps: r.options().logKeepOps,
      log: r.options().log,
    });
    if (saved === undefined) return;
    this.#since = 0;
    this.#lines = saved;
  }

  #due(): boolean {
    if (this.#writing) return false; // one at a time
    const r = this.#replica;
    const every = Math.max(r.options().snapshotEveryOps, this.#lines);
    if (this.#since < every) return false;
    return this.#since >= every + SNAPSHOT_DEFER_MAX_OPS || !r.peers.ahead(r.held());
  }

  #start(): void {
    const r = this.#replica;
    const { logKeepOps, log } = r.options();
    this.#job?.abandon(); // its old rows, if any are left, go with this one's
    const job = new SnapshotJob({
      store: r.store(),
      state: r.state(),
      held: r.held(),
      base: r.base(),
      peers: () => r.peers.all(),
      logKeepOps,
      log,
    });
    [this.#job, this.#writing, this.#since] = [job, true, 0];
    void job.finished.then((saved) => {
      if (this.#job === job) this.#writing = false;
      if (saved) this.#lines = job.lineCount;
      else this.#since = Math.max(this.#since, 1); // the log is not covered yet
    });
  }
}
