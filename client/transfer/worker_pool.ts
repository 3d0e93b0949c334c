/**
 * A fixed pool of piece workers (client/piece_worker.ts). Workers cost tens of
 * milliseconds to start, so a pool is made once and may serve several
 * downloads at a time: every task names its job, replies are routed to the
 * job's listener, and a task goes to the worker with the fewest in flight.
 *
 * Messages are batched: the tasks submitted in one turn of the event loop
 * travel to a worker in one message, with spare piece buffers for them to
 * fill, because each message costs a thread wake-up. A worker that dies is
 * replaced; its tasks fail with kind "io".
 */
import { defaultWorkerCount, WORKER_SHUTDOWN_WAIT_MS } from "./config.ts";
import type {
  FromWorker,
  TaskReply,
  ToWorker,
  WorkerControl,
  WorkerTask,
} from "./worker_messages.ts";

/**
 * Receives the replies to one job's tasks. `giveBack` returns a piece reply's
 * buffer to the pool once the job is done with it; the pool sends it out
 * again with a later task, so pieces reuse a bounded set of buffers instead
 * of allocating fresh memory (which the garbage collector frees late).
 */
export type JobListener = (reply: TaskReply, giveBack: (buffer: ArrayBuffer) => void) => void;

/** A running pool. */
export interface WorkerPool extends AsyncDisposable {
  readonly size: number;
  /** A fresh job id for a download. */
  newJobId(): number;
  /** Routes the replies of job `jobId` to `listener` (replacing any before). */
  listen(jobId: number, listener: JobListener): void;
  /** Hands a task to the least-busy worker (sent at the end of this turn). */
  submit(task: WorkerTask): void;
  /** Tells every worker to close the job's file; resolves when all have. */
  closeJob(jobId: number): Promise<void>;
  /** Tells every worker to close its connections to `peer`. */
  dropPeer(peer: string): void;
  /** Cancels a fetch in flight (a cancel frame to its peer); it replies as failed. */
  cancel(jobId: number, taskId: number): void;
  /** Resolves once every worker has started (tasks may be submitted before). */
  ready(): Promise<void>;
  /** Shuts every worker down and terminates it. */
  close(): Promise<void>;
}

/**
 * Spare piece buffers the pool keeps (16 MiB of 512 KiB pieces); more are left
 * to the garbage collector. A download gives each buffer back as soon as its
 * piece is counted, so the spares cover the requests in flight; buffers
 * dropped for want of a spare make the workers allocate fresh ones, which
 * costs page faults and peak memory.
 */
const SPARE_BUFFERS = 32;

interface Slot {
  worker: Worker;
  started: PromiseWithResolvers<void>;
  /** Tasks in flight by `jobId:taskId`. */
  tasks: Map<string, WorkerTask>;
  outbox: WorkerTask[];
  flushing: boolean;
  /** Waiters for control acknowledgements, by the key of the reply they expect. */
  acks: Map<string, () => void>;
}

function ackKey(message: FromWorker | WorkerControl): string {
  if (message.type === "job_closed" || message.type === "close_job") return `job:${message.jobId}`;
  return "shutdown";
}

const WORKER_URL = new URL("./piece_worker.ts", import.meta.url);

/**
 * Starts a pool of `size` workers.
 * @param size number of workers @default defaultWorkerCount()
 * @returns the pool; close it when done
 * @throws {RangeError} when `size` is not a positive integer
 */
export function createWorkerPool(size: number = defaultWorkerCount()): WorkerPool {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError("A worker pool needs 1 or more workers");
  }
  return new PiecePool(size);
}

class PiecePool implements WorkerPool {
  readonly size: number;
  #listeners = new Map<number, JobListener>();
  #nextJobId = 1;
  #slots: Slot[] = [];
  #writeLock = new SharedArrayBuffer(4);
  #spare: ArrayBuffer[] = [];
  #closing: Promise<void> | undefined;

  constructor(size: number) {
    this.size = size;
    for (let i = 0; i < size; i++) this.#spawn(i);
  }

  newJobId(): number {
    return this.#nextJobId++;
  }

  listen(jobId: number, listener: JobListener): void {
    this.#listeners.set(jobId, listener);
  }

  submit(task: WorkerTask): void {
    let best = this.#slots[0]!;
    for (const slot of this.#slots) if (slot.tasks.size < best.tasks.size) best = slot;
    best.tasks.set(`${task.jobId}:${task.taskId}`, task);
    best.outbox.push(task);
    if (!best.flushing) {
      best.flushing = true;
      queueMicrotask(() => this.#flush(best));
    }
  }

  async ready(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.started.promise));
  }

  async closeJob(jobId: number): Promise<void> {
    this.#listeners.delete(jobId);
    await Promise.all(this.#slots.map((slot) => this.#request(slot, { type: "close_job", jobId })));
  }

  dropPeer(peer: string): void {
    for (const slot of this.#slots) {
      this.#flush(slot);
      slot.worker.postMessage({ type: "drop_peer", peer } satisfies ToWorker);
    }
  }

  cancel(jobId: number, taskId: number): void {
    const key = `${jobId}:${taskId}`;
    const slot = this.#slots.find((s) => s.tasks.has(key));
    if (slot === undefined) return;
    this.#flush(slot);
    slot.worker.postMessage({ type: "cancel", jobId, taskId } satisfies ToWorker);
  }

  close(): Promise<void> {
    return this.#closing ??= (async () => {
      await Promise.all(this.#slots.map((slot) => this.#request(slot, { type: "shutdown" })));
      for (const slot of this.#slots) slot.worker.terminate();
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Sends a worker its queued tasks; each task that fills a piece takes a spare buffer along. */
  #flush(slot: Slot): void {
    slot.flushing = false;
    if (slot.outbox.length === 0) return;
    const filling = slot.outbox.filter((task) => task.type !== "probe").length;
    const recycle = this.#spare.splice(Math.max(0, this.#spare.length - filling));
    slot.worker.postMessage(
      { type: "batch", tasks: slot.outbox, recycle } satisfies ToWorker,
      recycle,
    );
    slot.outbox = [];
  }

  #deliver(reply: TaskReply): void {
    const giveBack = (buffer: ArrayBuffer) => {
      if (buffer.byteLength > 0 && this.#spare.length < SPARE_BUFFERS) {
        this.#spare.push(buffer);
      }
    };
    this.#listeners.get(reply.jobId)?.(reply, giveBack);
  }

  #spawn(i: number): void {
    const slot: Slot = {
      worker: new Worker(WORKER_URL, { type: "module" }),
      started: Promise.withResolvers(),
      tasks: new Map(),
      outbox: [],
      flushing: false,
      acks: new Map(),
    };
    slot.worker.onmessage = (event: MessageEvent<FromWorker>) => this.#receive(slot, event.data);
    slot.worker.onerror = (event) => {
      event.preventDefault();
      this.#replace(i, slot);
    };
    this.#slots[i] = slot;
    slot.worker.postMessage({ type: "init", writeLock: this.#writeLock } satisfies ToWorker);
  }

  #receive(slot: Slot, message: FromWorker): void {
    if (message.type === "batch") {
      for (const reply of message.replies) {
        slot.tasks.delete(`${reply.jobId}:${reply.taskId}`);
        this.#deliver(reply);
      }
    } else if (message.type === "ready") {
      slot.started.resolve();
    } else {
      const key = ackKey(message);
      slot.acks.get(key)?.();
      slot.acks.delete(key);
    }
  }

  /** Replaces a dead worker; its tasks fail so their jobs retry them elsewhere. */
  #replace(i: number, dead: Slot): void {
    dead.worker.terminate();
    dead.started.resolve();
    this.#spawn(i);
    for (const task of dead.tasks.values()) {
      const { jobId, taskId } = task;
      this.#deliver({ type: "failed", jobId, taskId, kind: "io", message: "A worker died" });
    }
    for (const ack of dead.acks.values()) ack();
    dead.acks.clear();
  }

  /** Sends a control message and waits (a bounded time) for its acknowledgement. */
  #request(slot: Slot, message: WorkerControl): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#flush(slot);
      const key = ackKey(message);
      const timer = setTimeout(() => {
        slot.acks.delete(key);
        resolve();
      }, WORKER_SHUTDOWN_WAIT_MS);
      slot.acks.set(key, () => {
        clearTimeout(timer);
        resolve();
      });
      slot.worker.postMessage(message satisfies ToWorker);
    });
  }
}
