/**
 * A fixed pool of piece workers (client/piece_worker.ts). Workers cost tens of
 * milliseconds to start, so a pool is made once and may serve several
 * downloads at a time: every task names its job, replies are routed to the
 * job's listener, and a task goes to the worker with the fewest in flight.
 * A worker that dies is replaced; its tasks fail with kind "io".
 */
import type { TaskReply, WorkerControl, WorkerReply, WorkerTask } from "./worker_messages.ts";

/**
 * Receives the replies to one job's tasks. `giveBack` hands a piece reply's
 * buffer back to the worker that sent it, for reuse; after it the buffer is
 * detached here.
 */
export type JobListener = (reply: TaskReply, giveBack: (buffer: ArrayBuffer) => void) => void;

/** A running pool. */
export interface WorkerPool extends AsyncDisposable {
  readonly size: number;
  /** A fresh job id for a download. */
  newJobId(): number;
  /** Routes the replies of job `jobId` to `listener` (replacing any before). */
  listen(jobId: number, listener: JobListener): void;
  /** Hands a task to the least-busy worker. */
  submit(task: WorkerTask): void;
  /** Tasks submitted and not yet answered, over the whole pool. */
  inFlight(): number;
  /** Tells every worker to close the job's file; resolves when all have. */
  closeJob(jobId: number): Promise<void>;
  /** Tells every worker to close its connections to `peer`. */
  dropPeer(peer: string): void;
  /** Resolves once every worker has started (tasks may be submitted before). */
  ready(): Promise<void>;
  /** Shuts every worker down and terminates it. */
  close(): Promise<void>;
}

const SHUTDOWN_WAIT_MS = 2000;

interface Slot {
  worker: Worker;
  started: PromiseWithResolvers<void>;
  /** Tasks in flight by `jobId:taskId`. */
  tasks: Map<string, WorkerTask>;
  /** Waiters for control acknowledgements, by the key of the reply they expect. */
  acks: Map<string, () => void>;
}

function ackKey(reply: WorkerReply | WorkerControl): string {
  if (reply.type === "job_closed" || reply.type === "close_job") return `job:${reply.jobId}`;
  return "shutdown";
}

const WORKER_URL = new URL("./piece_worker.ts", import.meta.url);

/**
 * Starts a pool of `size` workers.
 * @param size number of workers @default 8
 * @returns the pool; close it when done
 */
export function createWorkerPool(size = 8): WorkerPool {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError("A worker pool needs 1 or more workers");
  }
  const listeners = new Map<number, JobListener>();
  let nextJobId = 1;
  const slots: Slot[] = [];

  const deliver = (reply: TaskReply, worker?: Worker) => {
    const giveBack = (buffer: ArrayBuffer) => {
      if (worker === undefined || buffer.byteLength === 0) return;
      worker.postMessage({ type: "recycle", buffer } satisfies WorkerControl, [buffer]);
    };
    listeners.get(reply.jobId)?.(reply, giveBack);
  };
  const spawn = (i: number) => {
    const slot: Slot = {
      worker: new Worker(WORKER_URL, { type: "module" }),
      started: Promise.withResolvers(),
      tasks: new Map(),
      acks: new Map(),
    };
    slot.worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.type === "ready") {
        slot.started.resolve();
      } else if ("taskId" in reply) {
        slot.tasks.delete(`${reply.jobId}:${reply.taskId}`);
        deliver(reply, slot.worker);
      } else {
        const key = ackKey(reply);
        slot.acks.get(key)?.();
        slot.acks.delete(key);
      }
    };
    slot.worker.onerror = (event) => {
      event.preventDefault();
      slot.worker.terminate();
      slot.started.resolve();
      const lost = [...slot.tasks.values()];
      spawn(i);
      for (const task of lost) {
        deliver({
          type: "failed",
          jobId: task.jobId,
          taskId: task.taskId,
          kind: "io",
          message: "A worker died",
        });
      }
      for (const ack of slot.acks.values()) ack();
      slot.acks.clear();
    };
    slots[i] = slot;
  };
  for (let i = 0; i < size; i++) spawn(i);

  const request = (slot: Slot, message: WorkerControl) =>
    new Promise<void>((resolve) => {
      const key = ackKey(message);
      const timer = setTimeout(() => {
        slot.acks.delete(key);
        resolve();
      }, SHUTDOWN_WAIT_MS);
      slot.acks.set(key, () => {
        clearTimeout(timer);
        resolve();
      });
      slot.worker.postMessage(message);
    });

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await Promise.all(slots.map((slot) => request(slot, { type: "shutdown" })));
      for (const slot of slots) slot.worker.terminate();
    })();

  return {
    size,
    newJobId: () => nextJobId++,
    listen: (jobId, listener) => void listeners.set(jobId, listener),
    submit(task) {
      let best = slots[0]!;
      for (const slot of slots) if (slot.tasks.size < best.tasks.size) best = slot;
      best.tasks.set(`${task.jobId}:${task.taskId}`, task);
      best.worker.postMessage(task);
    },
    ready: async () => {
      await Promise.all(slots.map((slot) => slot.started.promise));
    },
    inFlight: () => slots.reduce((sum, slot) => sum + slot.tasks.size, 0),
    async closeJob(jobId) {
      listeners.delete(jobId);
      await Promise.all(slots.map((slot) => request(slot, { type: "close_job", jobId })));
    },
    dropPeer(peer) {
      for (const slot of slots) {
        slot.worker.postMessage({ type: "drop_peer", peer } satisfies WorkerControl);
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
