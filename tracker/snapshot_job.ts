/**
 * A snapshot written while the tracker keeps working: each turn of the event
 * loop takes lines from a {@link SnapshotCursor} for about SLICE_MS and stages
 * them (snapshot_rows.ts); ops go on being decided, applied and committed in
 * between. When the last line is staged, the same turn swaps the snapshot in,
 * lets what compaction drops leave memory and cuts the log behind the
 * snapshot; later turns delete the old snapshot's rows. A job that is
 * abandoned (the state was replaced, or the tracker closes) stops at once:
 * what it staged is never swapped in.
 */
import { clearImmediate, setImmediate } from "node:timers";
import type { Op } from "./ops.ts";
import { cutLogBehind, type LogCut } from "./replica_snapshot.ts";
import { SnapshotCursor } from "./snapshot_cursor.ts";
import { pruneLeases, pruneSessions, type TrackerState } from "./state.ts";
import { removeManifest } from "./state_manifests.ts";
import { commitFailure, type StagedSnapshot } from "./storage.ts";

/** Time one turn spends on a snapshot, in ms: short enough not to hold up replies. */
const SLICE_MS = 2;
/** Lines taken between two looks at the clock. */
const LINES_PER_LOOK = 32;
/** Rows of an older snapshot deleted per turn (about 64 KiB each). */
const OLD_ROWS_PER_TURN = 16;

/** What a job reads and moves: the store, the live state and where the log may be cut. */
export interface SnapshotJobInput extends Omit<LogCut, "peers" | "cut"> {
  state: TrackerState;
  /** What each peer is known to hold, asked when the snapshot is in. */
  peers: () => VersionVector[];
  log?: ((line: string) => void) | undefined;
  /** The clock that bounds a slice. @default performance.now */
  nowMs?: () => number;
}

type VersionVector = LogCut["held"];

/** One snapshot being written; see the module comment. */
export class SnapshotJob {
  /** Resolves with whether the snapshot was swapped in, once the job is over. */
  readonly finished: Promise<boolean>;
  #input: SnapshotJobInput;
  #cursor: SnapshotCursor;
  #staged: StagedSnapshot | undefined;
  #abandoned = false;
  #timer: ReturnType<typeof setImmediate> | undefined;
  #end = Promise.withResolvers<boolean>();

  /** Starts a snapshot of the state as it is now, covering `input.held`. */
  constructor(input: SnapshotJobInput) {
    this.#input = { ...input, held: new Map(input.held) };
    this.#cursor = new SnapshotCursor(input.state);
    this.finished = this.#end.promise;
    this.#next(() => this.#stageSlice());
  }

  /** Keeps what `op` changes as it was at the start; call it before applying the op. */
  beforeApply(op: Op): void {
    this.#cursor.beforeApply(op);
  }

  /** Stops the job; nothing it staged is swapped in. */
  abandon(): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#end.resolve(false);
  }

  #next(step: () => void): void {
    this.#timer = setImmediate(() => {
      this.#timer = undefined;
      if (!this.#abandoned) step();
    });
  }

  #stageSlice(): void {
    const { store, log } = this.#input;
    const now = this.#input.nowMs ?? (() => performance.now());
    const started = now();
    const lines: string[] = [];
    do lines.push(...this.#cursor.take(LINES_PER_LOOK)); while (
      !this.#cursor.done && now() - started < SLICE_MS
    );
    try {
      this.#staged ??= store.stageSnapshot();
      this.#staged.add(lines);
      if (this.#cursor.done) this.#staged.swapIn(this.#input.held);
    } catch (error) {
      log?.(`tracker: cannot save a snapshot: ${commitFailure(error)}`);
      return this.abandon();
    }
    if (!this.#cursor.done) return this.#next(() => this.#stageSlice());
    this.#compactMemory();
    try {
      cutLogBehind({ ...this.#input, peers: this.#input.peers(), cut: new Map() });
    } catch (error) {
      log?.(`tracker: cannot cut the op log: ${commitFailure(error)}`);
    }
    this.#end.resolve(true);
    this.#next(() => this.#dropOldRows());
  }

  // What the saved snapshot left out leaves memory too, as compaction would (state_compaction.ts).
  #compactMemory(): void {
    const { state, store } = this.#input;
    pruneSessions(state);
    pruneLeases(state);
    const unneeded = this.#cursor.unneededManifests();
    for (const key of unneeded) removeManifest(state, key);
    try {
      store.deletePieces(unneeded);
    } catch (error) {
      this.#input.log?.(`tracker: cannot delete piece hashes: ${commitFailure(error)}`);
    }
  }

  #dropOldRows(): void {
    try {
      if (this.#input.store.dropOldSnapshotRows(OLD_ROWS_PER_TURN)) {
        this.#next(() => this.#dropOldRows());
      }
    } catch (error) {
      this.#input.log?.(`tracker: cannot delete an old snapshot: ${commitFailure(error)}`);
    }
  }
}
