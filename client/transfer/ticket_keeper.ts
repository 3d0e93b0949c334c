/**
 * Keeps a download's ticket fresh. Seeders refuse an expired ticket, so a
 * download that outlives its ticket asks for a new one (through the tracker,
 * which refuses a user no longer in the group) once half of the ticket's
 * remaining life is gone, and retries a failed renewal while the download
 * runs. A refusal from the tracker (FORBIDDEN, NOT_FOUND) ends the download:
 * no seeder will serve it past the current ticket anyway.
 */
import { AppError } from "../../protocol/errors.ts";
import { readTicketClaims, ticketBytes } from "../../protocol/ticket.ts";

/** Shortest wait before a renewal (or its retry), in ms. */
const MIN_RENEW_WAIT_MS = 250;

/** Asks the tracker for a fresh ticket of the same file. */
export type RenewTicket = () => Promise<string>;

/** Holds a download's current ticket and renews it in the background. */
export class TicketKeeper {
  #current: string;
  #renew: RenewTicket | undefined;
  #onRefused: (message: string) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /**
   * @param ticket the ticket `download_file` returned
   * @param renew how to get a fresh one; without it the ticket is never renewed
   * @param onRefused told when the tracker refuses a renewal for good
   */
  constructor(
    ticket: string,
    renew: RenewTicket | undefined,
    onRefused: (message: string) => void,
  ) {
    this.#current = ticket;
    this.#renew = renew;
    this.#onRefused = onRefused;
  }

  /** The ticket to show seeders now. */
  get current(): string {
    return this.#current;
  }

  /** Starts renewing. */
  start(): void {
    this.#schedule();
  }

  /** Stops renewing. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped || this.#renew === undefined) return;
    const notAfterMs = readTicketClaims(ticketBytes(this.#current))?.notAfterMs ?? 0;
    const waitMs = Math.max(MIN_RENEW_WAIT_MS, (notAfterMs - Date.now()) / 2);
    this.#timer = setTimeout(() => void this.#renewNow(this.#renew!), waitMs);
  }

  async #renewNow(renew: RenewTicket): Promise<void> {
    try {
      const ticket = await renew();
      if (this.#stopped) return;
      this.#current = ticket;
    } catch (error) {
      if (this.#stopped) return;
      if (error instanceof AppError && (error.code === "FORBIDDEN" || error.code === "NOT_FOUND")) {
        this.#stopped = true;
        return this.#onRefused(`The tracker refused a new download ticket: ${error.message}`);
      }
    }
    this.#schedule();
  }
}
