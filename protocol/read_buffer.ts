/**
 * A connection's read buffer that stays small while the connection is idle
 * and grows only while a message is in flight: thousands of idle
 * connections then hold a few KiB each, and a long message still arrives in
 * large reads.
 */

/** Bytes an idle connection's buffer holds. */
export const IDLE_READ_BUFFER_BYTES = 4 * 1024;
/** Bytes of the buffer while a message is in flight. */
export const BUSY_READ_BUFFER_BYTES = 64 * 1024;

/** The buffer to read into next. */
export class ReadBuffer {
  #idle: Uint8Array;
  #busy: Uint8Array | undefined;
  #busySize: number;
  #growing = false;

  /**
   * @param idleBytes size while idle
   * @param busyBytes size while a message is in flight
   */
  constructor(idleBytes = IDLE_READ_BUFFER_BYTES, busyBytes = BUSY_READ_BUFFER_BYTES) {
    this.#idle = new Uint8Array(idleBytes);
    this.#busySize = busyBytes;
  }

  /** The buffer for the next read. */
  get bytes(): Uint8Array {
    if (!this.#growing) return this.#idle;
    return this.#busy ??= new Uint8Array(this.#busySize);
  }

  /** The buffer's size now. */
  get size(): number {
    return this.bytes.length;
  }

  /**
   * Says how the last read went, to pick the next buffer.
   * @param readBytes bytes the last read returned
   * @param inFlight whether a message is still incomplete
   */
  settle(readBytes: number, inFlight: boolean): void {
    this.#growing = inFlight || readBytes === this.bytes.length;
    if (!this.#growing) this.#busy = undefined; // idle again: give the large buffer back
  }
}
