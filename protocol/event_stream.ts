/**
 * Server-Sent Events for the dashboards: one hub per page, a bounded number
 * of listeners, and a bounded queue per listener. A listener that stops
 * reading is dropped instead of buffered for, so a stalled browser tab (or
 * someone opening streams on purpose) costs a fixed amount of memory.
 */

/** Options of {@link EventStreamHub}. */
export interface EventStreamOptions {
  /** Most listeners at once; more are answered 503. @default 32 */
  maxClients?: number;
  /** Events queued for one listener before it is dropped. @default 64 */
  maxQueuedEvents?: number;
}

const encoder = new TextEncoder();

/**
 * Formats one event in the `text/event-stream` format: each line of the data
 * gets its own `data:` field, so a newline in the data cannot start a field.
 * @param event the event name (one line)
 * @param data the payload
 * @returns the bytes' text, ending in a blank line
 */
export function formatEvent(event: string, data: string): string {
  const name = event.replace(/[\r\n]/g, "");
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join("");
  return `event: ${name}\n${lines}\n`;
}

/** The listeners of one event stream. */
export class EventStreamHub {
  #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #maxClients: number;
  #maxQueued: number;
  #closed = false;

  /** @param options listener and queue bounds */
  constructor(options: EventStreamOptions = {}) {
    this.#maxClients = options.maxClients ?? 32;
    this.#maxQueued = options.maxQueuedEvents ?? 64;
  }

  /** How many listeners are connected. */
  get size(): number {
    return this.#clients.size;
  }

  /**
   * Opens a stream for one listener, starting with `first` (the current state).
   * @returns the response: a stream, or 503 when the hub is full or closed
   */
  open(first: { event: string; data: string }): Response {
    if (this.#closed || this.#clients.size >= this.#maxClients) {
      return new Response("Too many dashboard listeners; try again later\n", {
        status: 503,
        headers: { "content-type": "text/plain; charset=utf-8", "retry-after": "5" },
      });
    }
    let self: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        self = controller;
        this.#clients.add(controller);
        controller.enqueue(encoder.encode(`retry: 2000\n${formatEvent(first.event, first.data)}`));
      },
      cancel: () => {
        if (self !== undefined) this.#clients.delete(self);
      },
    }, new CountQueuingStrategy({ highWaterMark: 1 }));
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  }

  /** Sends one event to every listener; a listener too far behind is dropped. */
  send(event: string, data: string): void {
    const bytes = encoder.encode(formatEvent(event, data));
    for (const controller of [...this.#clients]) {
      if ((controller.desiredSize ?? 0) <= -this.#maxQueued) {
        this.#drop(controller);
        continue;
      }
      try {
        controller.enqueue(bytes);
      } catch {
        this.#clients.delete(controller);
      }
    }
  }

  /** Sends a comment line, which keeps proxies from timing the stream out. */
  keepAlive(): void {
    for (const controller of [...this.#clients]) {
      try {
        controller.enqueue(encoder.encode(": keep-alive\n\n"));
      } catch {
        this.#clients.delete(controller);
      }
    }
  }

  /** Ends every stream and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const controller of [...this.#clients]) this.#drop(controller);
  }

  #drop(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#clients.delete(controller);
    try {
      // error(), not close(): a closed stream would still wait to deliver its queue
      controller.error(new Error("event stream ended"));
    } catch {
      // already ended by the reader going away
    }
  }
}
