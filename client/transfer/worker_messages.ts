/**
 * Messages between the download pool (main thread) and its piece workers.
 * Piece buffers travel as transferred `ArrayBuffer`s, never copies; once a
 * download is done with one, the pool sends it out again as a spare with a
 * later batch, to whichever worker that batch goes to.
 */

/** Why a task failed, as the picker needs to know it. */
export type FailureKind =
  | "hash" // the bytes did not match the piece hash
  | "missing" // the peer does not hold the piece (or the file)
  | "timeout" // no answer in time
  | "gone" // the peer could not be reached or closed the connection
  | "refused" // the peer answered with another error, or broke the protocol
  | "io" // the local file could not be written or read
  | "cancelled"; // withdrawn: another copy of the piece arrived first

/** The fields every task on one piece of the `.part` file carries. */
export interface PieceTaskFields {
  jobId: number;
  taskId: number;
  path: string;
  index: number;
  offset: number;
  length: number;
  pieceHash: string;
}

/** Work for a worker. Every task carries its job's id and its own id. */
export type WorkerTask =
  | {
    type: "fetch";
    jobId: number;
    taskId: number;
    /** The `.part` file to write to. */
    path: string;
    peer: string;
    /** The peer's own certificate (PEM): dial it with TLS trusting only that; plain TCP when undefined. */
    peerCert?: string | undefined;
    fileHash: string;
    /** The download's current ticket (base64url), shown to the peer once per connection. */
    ticket: string;
    index: number;
    offset: number;
    length: number;
    pieceHash: string;
    timeoutMs: number;
  }
  | ({ type: "verify" } & PieceTaskFields)
  | {
    type: "probe";
    jobId: number;
    taskId: number;
    peer: string;
    peerCert?: string | undefined;
    fileHash: string;
    ticket: string;
    timeoutMs: number;
  };

/** Control messages for every worker. */
export type WorkerControl =
  | { type: "close_job"; jobId: number }
  | { type: "drop_peer"; peer: string }
  /** Cancels a fetch in flight: its request is withdrawn from the peer. */
  | { type: "cancel"; jobId: number; taskId: number }
  | { type: "shutdown" }
  /** Sent once at start: a lock that serializes the workers' file writes. */
  | { type: "init"; writeLock: SharedArrayBuffer };

/**
 * What the pool sends a worker. Tasks go in batches, with spare piece buffers
 * for them to fill riding along, because every message costs a thread
 * wake-up (about 0.1 ms here), more than the work of a small piece.
 */
export type ToWorker =
  | { type: "batch"; tasks: WorkerTask[]; recycle: ArrayBuffer[] }
  | WorkerControl;

/** A worker's answer to one task. */
export type TaskReply =
  | {
    type: "piece";
    jobId: number;
    taskId: number;
    index: number;
    /** The buffer holding the verified piece at `dataOffset`, transferred. */
    buffer: ArrayBuffer;
    dataOffset: number;
    dataLength: number;
  }
  | {
    type: "failed";
    jobId: number;
    taskId: number;
    kind: FailureKind;
    message: string;
  }
  | {
    type: "have";
    jobId: number;
    taskId: number;
    pieceCount: number;
    bits: Uint8Array;
  }
  /** Pushed by a peer, not asked for: it holds one more piece. `taskId` is 0. */
  | { type: "peer_have"; jobId: number; taskId: 0; peer: string; index: number };

/** What a worker sends the pool: task replies in batches, and acknowledgements. */
export type FromWorker =
  | { type: "batch"; replies: TaskReply[] }
  | { type: "job_closed"; jobId: number }
  | { type: "shutdown_done" }
  | { type: "ready" };
