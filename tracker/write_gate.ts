/**
 * Whether the op log takes writes. After a commit fails (a full disk), the
 * tracker refuses writes at once with `UNAVAILABLE` and the cause, instead
 * of applying ops it cannot store; reads, heartbeats and replication to
 * peers go on. A probe commit runs every `retryMs`, and writes resume by
 * themselves once one succeeds.
 */
import { AppError } from "../protocol/errors.ts";
import { commitFailure } from "./storage.ts";

/** Options of {@link WriteGate}. */
export interface WriteGateOptions {
  /** Time between probe commits while writes are refused. */
  retryMs: number;
  /** Commits a little to see whether the log takes writes again; throws when it does not. */
  probe: () => void;
  /** Receives one line when writes stop (with the real SQLite error) and when they resume. */
  log: (line: string) => void;
}

/** Refuses writes while the op log cannot commit. */
export class WriteGate {
  #o: WriteGateOptions;
  #cause: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** @param options the probe, its interval and the logger */
  constructor(options: WriteGateOptions) {
    this.#o = options;
  }

  /** Why writes are refused now, if they are. */
  get cause(): string | undefined {
    return this.#cause;
  }

  /**
   * Lets a write through, or refuses it.
   * @throws {AppError} UNAVAILABLE naming the cause while the log cannot commit
   */
  check(): void {
    if (this.#cause !== undefined) throw this.#refusal(this.#cause);
  }

  /**
   * Records a failed commit: writes are refused from now until a probe commits.
   * @returns the error to answer the failed writes with
   */
  failed(error: unknown): AppError {
    const cause = commitFailure(error);
    if (this.#cause === undefined) {
      this.#o.log(
        `tracker: cannot commit to the op log: ${cause}; writes are refused until it can`,
      );
    }
    this.#cause = cause;
    this.#schedule();
    return this.#refusal(cause);
  }

  /** Stops probing. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      try {
        this.#o.probe();
      } catch (error) {
        this.#cause = commitFailure(error);
        this.#schedule();
        return;
      }
      this.#cause = undefined;
      this.#o.log("tracker: the op log commits again; writes resume");
    }, this.#o.retryMs);
  }

  #refusal(cause: string): AppError {
    return new AppError(
      "UNAVAILABLE",
      `This tracker cannot store writes now: ${cause}. Reads still work; try again later`,
    );
  }
}
