/**
 * Test helpers for the dashboards: fetch a page's endpoints and read its
 * event stream one event at a time.
 */

/** Reads `view` events from a dashboard's `/events`. */
export class EventReader implements AsyncDisposable {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  readonly response: Response;

  private constructor(response: Response) {
    this.response = response;
    this.#reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * Opens the stream.
   * @returns the reader
   * @throws {Error} when the answer is not an event stream
   */
  static async open(url: string): Promise<EventReader> {
    const response = await fetch(new URL("events", url));
    if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
      await response.body?.cancel();
      throw new Error(`${url}events answered ${response.status}`);
    }
    return new EventReader(response);
  }

  /**
   * Waits for a `view` event whose parsed data passes `test`.
   * @returns that view
   * @throws {Error} after `timeoutMs`
   */
  async until<T>(test: (view: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const event = await this.#next(deadline);
      if (event === undefined) break;
      const view = JSON.parse(event) as T;
      if (test(view)) return view;
    }
    throw new Error("no matching event came in time");
  }

  async #next(deadline: number): Promise<string | undefined> {
    while (true) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const lines = block.split("\n");
        if (!lines.includes("event: view")) continue;
        return lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
      });
      const chunk = await Promise.race([this.#reader.read(), timeout]).finally(() =>
        clearTimeout(timer)
      );
      if (chunk === undefined || chunk.done) return undefined;
      this.#buffer += chunk.value;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/**
 * Fetches one endpoint's body.
 * @returns status, content type and text
 */
export async function get(
  url: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; type: string; body: string; headers: Headers }> {
  const response = await fetch(new URL(path, url), init);
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    body: await response.text(),
    headers: response.headers,
  };
}

/** Every endpoint a dashboard serves with GET, for scans and method checks. */
export const PAGE_PATHS = ["/", "/dashboard.css", "/dashboard.js", "/view.json", "/metrics"];
