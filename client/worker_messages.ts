/**
 * Messages between the download pool (main thread) and its piece workers.
 * Piece buffers travel as transferred `ArrayBuffer`s, never copies.
 */

/** Why a task failed, as the picker needs to know it. */
export type FailureKind =
  | "hash" // the bytes did not match the piece hash
  | "missing" // the peer does not hold the piece (or the file)
  | "timeout" // no answer in time
  | "gone" // the peer could not be reached or closed the connection
  | "refused" // the peer answered with another error, or broke the protocol
  | "io"; // the local file could not be written or read

/** Work for a worker. Every task carries its job's id and its own id. */
export type WorkerTask =
  | {
    type: "fetch";
    jobId: number;
    taskId: number;
    /** The `.part` file to write to. */
    path: string;
    peer: string;
    fileHash: string;
    index: number;
    offset: number;
    length: number;
    pieceHash: string;
    timeoutMs: number;
  }
  | {
    type: "verify";
    jobId: number;
    taskId: number;
    path: string;
    index: number;
    offset: number;
    length: number;
    pieceHash: string;
  }
  | {
    type: "probe";
    jobId: number;
    taskId: number;
    peer: string;
    fileHash: string;
    timeoutMs: number;
  };

/** Control messages for every worker. */
export type WorkerControl =
  | { type: "close_job"; jobId: number }
  /** A piece buffer handed back for reuse, so pieces do not allocate fresh memory. */
  | { type: "recycle"; buffer: ArrayBuffer }
  | { type: "drop_peer"; peer: string }
  | { type: "shutdown" };

/** What a worker answers. */
export type WorkerReply =
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
  | { type: "job_closed"; jobId: number }
  | { type: "shutdown_done" }
  | { type: "ready" };

/** Replies that finish a task (as opposed to control acknowledgements). */
export type TaskReply = Extract<WorkerReply, { taskId: number }>;
