/**
 * A snapshot written while the tracker keeps working: each turn of the event
 * loop takes lines from a {@link SnapshotCursor} for about SLICE_MS and stages
 * them (snapshot_rows.ts); ops go on being decided, applied and committed in
 * between. The turn that stages the last line swaps the snapshot in. Later
 * turns, a bounded amount each: what the snapshot left out leaves memory and
 * the piece hashes of dropped manifests leave disk; then the log is cut
 * behind the snapshot; then the old snapshot's rows are deleted. A job that
 * is abandoned (the state is replaced, or the tracker closes) stops at once:
 * what it staged is never swapped in.
 */
import type { Op } from "./ops.ts";
import { REMEMBERED_RETRIES } from "./config.ts";
import { type LogCut, logCutPoint, raiseBase } from "./replica_snapshot.ts";
import { SnapshotCursor } from "./snapshot_cursor.ts";
import { pruneLease, pruneSession, type TrackerState } from "./state.ts";
import { removeManifest } from "./state_manifests.ts";
import { commitFailure, type StagedSnapshot } from "./storage.ts";

/** Time one turn spends taking snapshot lines, in ms: short enough not to hold up replies. */
const SLICE_MS = 2;
/** Lines taken between two looks at the clock. */
const LINES_PER_LOOK = 32;
/** Entries dropped from memory per turn once the snapshot is in. */
const DROPS_PER_TURN = 2000;
/** Ops deleted from the log per turn. */
const CUT_OPS_PER_TURN = 2000;
/** Rows of an older snapshot deleted per turn (about 64 KiB each). */
const OLD_ROWS_PER_TURN = 16;

type VersionVector = LogCut["held"];

/** What a job reads and moves: the store, the live state and where the log may be cut. */
export interface SnapshotJobInput extends Omit<LogCut, "peers" | "cut"> {
  state: TrackerState;
  /** What each peer is known to hold, asked once the snapshot is in. */
  peers: () => VersionVector[];
  log?: ((line: string) => void) | undefined;
  /** The clock that bounds a slice, in ms. @default performance.now */
  nowMs?: () => number;
}

/** One snapshot being written; see the module comment. */
export class SnapshotJob {
  /** Resolves once the job is over: true when the snapshot was swapped in and the log cut. */
  readonly finished: Promise<boolean>;
  #input: SnapshotJobInput;
  #cursor: SnapshotCursor;
  #staged: StagedSnapshot | undefined;
  #abandoned = false;
  #lineCount = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #end = Promise.withResolvers<boolean>();

  /** Starts a snapshot of the state as it is now, covering `input.held` (all committed). */
  constructor(input: SnapshotJobInput) {
    this.#input = { ...input, held: new Map(input.held) };
    this.#cursor = new SnapshotCursor(input.state);
    this.finished = this.#end.promise;
    this.#next(() => this.#stageSlice());
  }

  /** Lines staged so far: once the job is finished, the snapshot's size. */
  get lineCount(): number {
    return this.#lineCount;
  }

  /** Keeps what `op` changes as it was at the start; call it before applying the op. */
  beforeApply(op: Op): void {
    this.#cursor.beforeApply(op);
  }

  /** Stops the job; nothing more is written, and a snapshot not yet swapped in never is. */
  abandon(): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#end.resolve(false);
  }

  #next(step: () => void): void {
    // A timer, not setImmediate: in Deno a chain of immediates runs before any socket is read,
    // so requests waited for the whole snapshot however short each slice was.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#abandoned) step();
    }, 0);
  }

  #fail(what: string, error: unknown): void {
    this.#input.log?.(`tracker: cannot ${what}: ${commitFailure(error)}`);
    this.abandon();
  }

  #stageSlice(): void {
    const now = this.#input.nowMs ?? (() => performance.now());
    const started = now();
    const lines: string[] = [];
    do lines.push(...this.#cursor.take(LINES_PER_LOOK)); while (
      !this.#cursor.done && now() - started < SLICE_MS
    );
    this.#lineCount += lines.length;
    try {
      this.#staged ??= this.#input.store.stageSnapshot();
      this.#staged.add(lines);
      if (this.#cursor.done) this.#staged.swapIn(this.#input.held);
    } catch (error) {
      return this.#fail("save a snapshot", error);
    }
    if (!this.#cursor.done) return this.#next(() => this.#stageSlice());
    const { sessions, leases, manifests } = this.#cursor.droppable();
    this.#next(() => this.#drop([...sessions], [...leases], [...manifests]));
  }

  // What the snapshot left out leaves memory too, as compaction would (state_compaction.ts).
  #drop(sessions: string[], leases: string[], manifests: string[]): void {
    const { state, store } = this.#input;
    for (const key of sessions.splice(0, DROPS_PER_TURN)) pruneSession(state, key);
    for (const key of leases.splice(0, DROPS_PER_TURN)) pruneLease(state, key);
    const dropped = manifests.splice(0, DROPS_PER_TURN).filter((key) => {
      const manifest = state.manifests.get(key);
      return manifest !== undefined && this.#cursor.mayDropManifest(manifest);
    });
    for (const key of dropped) removeManifest(state, key);
    try {
      if (dropped.length > 0) store.deletePieces(dropped);
    } catch (error) {
      return this.#fail("delete piece hashes", error); // only garbage is left behind
    }
    if (sessions.length + leases.length + manifests.length > 0) {
      return this.#next(() => this.#drop(sessions, leases, manifests));
    }
    const upTo = logCutPoint({ ...this.#input, peers: this.#input.peers(), cut: new Map() });
    // Raised before the ops go: a peer that lacks them is sent the snapshot, which has them.
    raiseBase(this.#input.base, upTo);
    this.#next(() => this.#cutLog(upTo));
  }

  #cutLog(upTo: VersionVector): void {
    try {
      const more = this.#input.store.truncateLog(upTo, REMEMBERED_RETRIES, CUT_OPS_PER_TURN);
      if (more) return this.#next(() => this.#cutLog(upTo));
    } catch (error) {
      return this.#fail("cut the op log", error);
    }
    this.#end.resolve(true);
    this.#next(() => this.#dropOldRows());
  }

  #dropOldRows(): void {
    try {
      if (this.#input.store.dropOldSnapshotRows(OLD_ROWS_PER_TURN)) {
        this.#next(() => this.#dropOldRows());
      }
    } catch (error) {
      this.#fail("delete an old snapshot", error);
    }
  }
}
