/**
 * A piece worker (a module Web Worker of the download pool). It keeps its own
 * connections to peers, fetches the pieces the main thread assigns, checks
 * each against its SHA-256, writes it at its offset through its own handle on
 * the `.part` file, and hands the verified buffer back (transferred, not
 * copied) so the pool can send it out again as a spare. The piece hashes
 * prove the whole file (protocol/manifest.ts), so nothing reads it again.
 *
 * File writes are synchronous on purpose: a worker exists to do this work, a
 * sync seek + write pair cannot be interleaved with another task's, and it
 * skips a hop through the runtime's blocking pool.
 */
import { createHash } from "node:crypto";
import { AppError } from "../../protocol/errors.ts";
import { PeerConn } from "./peer_conn.ts";
import type {
  FailureKind,
  FromWorker,
  TaskReply,
  ToWorker,
  WorkerTask,
} from "./worker_messages.ts";

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

interface Job {
  path: string;
  file: Deno.FsFile | null;
}

const scope = self as unknown as WorkerScope;
let writeLock: Int32Array | null = null;
/** Replies of this turn, sent together at its end (each message costs a thread wake-up). */
let outbox: TaskReply[] = [];
let outboxTransfer: ArrayBuffer[] = [];

function reply(message: TaskReply, transfer?: ArrayBuffer): void {
  if (outbox.length === 0) queueMicrotask(flushReplies);
  outbox.push(message);
  if (transfer !== undefined) outboxTransfer.push(transfer);
}

function flushReplies(): void {
  if (outbox.length === 0) return;
  scope.postMessage({ type: "batch", replies: outbox }, outboxTransfer);
  outbox = [];
  outboxTransfer = [];
}

/**
 * Runs a write holding the pool's write lock. Writers to one file queue on
 * its inode lock anyway; waiting here sleeps, where the kernel would spin.
 */
function withWriteLock(write: () => void): void {
  const lock = writeLock;
  if (lock !== null) {
    while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) Atomics.wait(lock, 0, 1);
  }
  try {
    write();
  } finally {
    if (lock !== null) {
      Atomics.store(lock, 0, 0);
      Atomics.notify(lock, 0, 1);
    }
  }
}
const jobs = new Map<number, Job>();
const closedJobs = new Set<number>();
/**
 * Connections by job and peer: a seeder serves one connection only the file
 * of its ticket, so two downloads never share one.
 */
const conns = new Map<string, Promise<PeerConn>>();
/** Fetches in flight by `jobId:taskId`, to withdraw when another copy won the end-game. */
const fetches = new Map<string, AbortController>();
/** Piece buffers handed back by the main thread, by byte length. */
const spare = new Map<number, ArrayBuffer[]>();
const SPARE_PER_SIZE = 16;

function allocate(length: number): Uint8Array {
  const buffer = spare.get(length)?.pop();
  return buffer !== undefined ? new Uint8Array(buffer) : new Uint8Array(length);
}

function recycle(buffer: ArrayBuffer): void {
  let list = spare.get(buffer.byteLength);
  if (list === undefined) spare.set(buffer.byteLength, list = []);
  if (list.length < SPARE_PER_SIZE) list.push(buffer);
}

function jobFor(jobId: number, path: string): Job | undefined {
  if (closedJobs.has(jobId)) return undefined;
  let job = jobs.get(jobId);
  if (job === undefined) {
    job = { path, file: null };
    jobs.set(jobId, job);
  }
  return job;
}

function fileOf(job: Job): Deno.FsFile {
  job.file ??= Deno.openSync(job.path, { read: true, write: true });
  return job.file;
}

/** The open connection of a task's job to its peer, showing the task's ticket if it is newer. */
async function connTo(
  task: {
    jobId: number;
    peer: string;
    ticket: string;
    timeoutMs: number;
    peerCert?: string | undefined;
  },
): Promise<PeerConn> {
  if (closedJobs.has(task.jobId)) throw new AppError("UNAVAILABLE", "The download was closed");
  const key = `${task.jobId} ${task.peer}`;
  const existing = conns.get(key);
  if (existing !== undefined) {
    const conn = await existing.catch(() => null);
    if (conn !== null && !conn.isClosed && conn.peerCert === task.peerCert) {
      if (conn.ticket !== task.ticket) conn.sendTicket(task.ticket).catch(() => {});
      return conn;
    }
    // Gone, or made trusting another certificate than this task names: never reuse it.
    conn?.close();
    if (conns.get(key) === existing) conns.delete(key);
  }
  const { jobId, peer } = task;
  const connecting = PeerConn.connect(task.peer, task.timeoutMs, {
    ticket: task.ticket,
    allocate,
    peerCert: task.peerCert,
    onHavePiece: (index) => reply({ type: "peer_have", jobId, taskId: 0, peer, index }),
  });
  conns.set(key, connecting);
  connecting.catch(() => {
    if (conns.get(key) === connecting) conns.delete(key);
  });
  return await connecting;
}

function kindOf(error: unknown): FailureKind {
  if (!(error instanceof AppError)) return "refused";
  if (error.code === "NOT_FOUND") return "missing";
  if (error.code === "TIMEOUT") return "timeout";
  if (error.code === "UNAVAILABLE") return "gone";
  return "refused";
}

function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function fail(task: WorkerTask, kind: FailureKind, message: string): void {
  reply({ type: "failed", jobId: task.jobId, taskId: task.taskId, kind, message });
}

function sendPiece(task: WorkerTask & { index: number }, body: Uint8Array, data: Uint8Array): void {
  const buffer = body.buffer as ArrayBuffer;
  reply({
    type: "piece",
    jobId: task.jobId,
    taskId: task.taskId,
    index: task.index,
    buffer,
    dataOffset: data.byteOffset,
    dataLength: data.length,
  }, buffer);
}

/** Checks a fetched piece and writes it; returns why not, or null. */
function writePiece(
  task: Extract<WorkerTask, { type: "fetch" }>,
  data: Uint8Array,
): [FailureKind, string] | null {
  if (data.length !== task.length) {
    return ["refused", `Peer sent ${data.length} bytes for piece ${task.index}`];
  }
  if (sha256Hex(data) !== task.pieceHash) {
    return ["hash", `Piece ${task.index} from ${task.peer} failed its hash`];
  }
  const job = jobFor(task.jobId, task.path);
  if (job === undefined) return ["io", "The download was closed"];
  try {
    const file = fileOf(job);
    withWriteLock(() => {
      file.seekSync(task.offset, Deno.SeekMode.Start);
      for (let done = 0; done < data.length;) done += file.writeSync(data.subarray(done));
    });
  } catch (error) {
    return ["io", `Cannot write piece ${task.index}: ${(error as Error).message}`];
  }
  return null;
}

async function fetchPiece(task: Extract<WorkerTask, { type: "fetch" }>): Promise<void> {
  let reply;
  const key = `${task.jobId}:${task.taskId}`;
  const abort = new AbortController();
  fetches.set(key, abort);
  try {
    const conn = await connTo(task);
    abort.signal.throwIfAborted();
    reply = await conn.requestPiece(task.fileHash, task.index, task.timeoutMs, abort.signal);
  } catch (error) {
    const kind = abort.signal.aborted ? "cancelled" : kindOf(error);
    return fail(task, kind, error instanceof Error ? error.message : String(error));
  } finally {
    fetches.delete(key);
  }
  const { body, data } = reply;
  const problem = writePiece(task, data);
  if (problem !== null) {
    recycle(body.buffer as ArrayBuffer);
    return fail(task, problem[0], problem[1]);
  }
  sendPiece(task, body, data);
}

function verifyPiece(task: Extract<WorkerTask, { type: "verify" }>): void {
  const job = jobFor(task.jobId, task.path);
  if (job === undefined) return fail(task, "io", "The download was closed");
  const data = allocate(task.length);
  const problem = readPiece(job, task, data);
  if (problem !== null) {
    recycle(data.buffer as ArrayBuffer);
    return fail(task, problem[0], problem[1]);
  }
  sendPiece(task, data, data);
}

/** Reads a piece from the `.part` file and checks it; returns why not, or null. */
function readPiece(
  job: Job,
  task: Extract<WorkerTask, { type: "verify" }>,
  data: Uint8Array,
): [FailureKind, string] | null {
  try {
    const file = fileOf(job);
    file.seekSync(task.offset, Deno.SeekMode.Start);
    for (let done = 0; done < data.length;) {
      const n = file.readSync(data.subarray(done));
      if (n === null) return ["hash", `Piece ${task.index} is past the end of the file`];
      done += n;
    }
  } catch (error) {
    return ["io", `Cannot read piece ${task.index}: ${(error as Error).message}`];
  }
  if (sha256Hex(data) !== task.pieceHash) {
    return ["hash", `Piece ${task.index} on disk failed its hash`];
  }
  return null;
}

async function probe(task: Extract<WorkerTask, { type: "probe" }>): Promise<void> {
  try {
    const conn = await connTo(task);
    const have = await conn.requestHave(task.fileHash, task.timeoutMs);
    reply({
      type: "have",
      jobId: task.jobId,
      taskId: task.taskId,
      pieceCount: have.pieceCount,
      bits: have.bits.slice(),
    });
  } catch (error) {
    fail(task, kindOf(error), error instanceof Error ? error.message : String(error));
  }
}

function closeJob(jobId: number): void {
  closedJobs.add(jobId);
  for (const key of conns.keys()) if (key.startsWith(`${jobId} `)) void closeConn(key);
  const job = jobs.get(jobId);
  jobs.delete(jobId);
  try {
    job?.file?.close();
  } catch {
    // already closed
  }
}

async function closeConn(key: string): Promise<void> {
  const connecting = conns.get(key);
  conns.delete(key);
  const conn = await connecting?.catch(() => null);
  conn?.close();
}

async function dropPeer(peer: string): Promise<void> {
  const keys = [...conns.keys()].filter((key) => key.endsWith(` ${peer}`));
  await Promise.all(keys.map(closeConn));
}

async function handle(message: WorkerTask): Promise<void> {
  switch (message.type) {
    case "fetch":
      return await fetchPiece(message);
    case "verify":
      return verifyPiece(message);
    case "probe":
      return await probe(message);
  }
}

async function control(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "batch":
      for (const buffer of message.recycle) recycle(buffer);
      for (const task of message.tasks) {
        handle(task).catch((error) => fail(task, "io", String(error)));
      }
      return;
    case "init":
      writeLock = new Int32Array(message.writeLock);
      return;
    case "close_job":
      closeJob(message.jobId);
      flushReplies();
      return scope.postMessage({ type: "job_closed", jobId: message.jobId });
    case "drop_peer":
      return await dropPeer(message.peer);
    case "cancel":
      return fetches.get(`${message.jobId}:${message.taskId}`)?.abort();
    case "shutdown":
      for (const jobId of [...jobs.keys()]) closeJob(jobId);
      await Promise.all([...conns.keys()].map(closeConn));
      flushReplies();
      return scope.postMessage({ type: "shutdown_done" });
  }
}

scope.onmessage = (event) => {
  control(event.data).catch(() => {});
};

scope.postMessage({ type: "ready" });
