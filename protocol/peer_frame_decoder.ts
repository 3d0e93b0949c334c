/**
 * The streaming decoder of peer frames (protocol/peer_frames.ts): splits a
 * byte stream into frames, refusing a body over its limit before allocating
 * it, and lets a hot-path reader fill large bodies in place.
 */
import { AppError } from "./errors.ts";
import { decodeBody, FRAME_PREFIX_BYTES, type PeerFrame } from "./peer_frames.ts";

/**
 * Splits a byte stream into frames. Feed it with {@link push}; a reader on a
 * hot path may also read large bodies straight into place with
 * {@link directTarget} and {@link commitDirect}, saving a copy.
 */
export class FrameDecoder {
  #maxBodyBytes: number;
  #prefix = new Uint8Array(FRAME_PREFIX_BYTES);
  #prefixFill = 0;
  #body: Uint8Array | null = null;
  #bodyFill = 0;
  #broken: AppError | null = null;

  #allocate: (length: number) => Uint8Array;

  /**
   * @param maxBodyBytes longest body accepted; a longer one is refused before allocation
   * @param allocate makes the buffer of a body (a reader may recycle buffers); it must
   *   return a fresh view of exactly `length` bytes at offset 0 of its own buffer
   */
  constructor(
    maxBodyBytes: number,
    allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
  ) {
    this.#maxBodyBytes = maxBodyBytes;
    this.#allocate = allocate;
  }

  /** Bytes this decoder holds allocated for the frame in progress. */
  get heldBytes(): number {
    return FRAME_PREFIX_BYTES + (this.#body?.length ?? 0);
  }

  /**
   * Feeds bytes and returns every frame they complete. The bytes are copied;
   * the caller may reuse its buffer.
   * @returns the completed frames, possibly none
   * @throws {AppError} FRAME_TOO_LARGE for a body over the limit, BAD_REQUEST for an
   *   empty body; the stream is then broken and every later call throws again
   */
  push(bytes: Uint8Array): PeerFrame[] {
    if (this.#broken !== null) throw this.#broken;
    const frames: PeerFrame[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#body === null) {
        const take = Math.min(FRAME_PREFIX_BYTES - this.#prefixFill, bytes.length - offset);
        this.#prefix.set(bytes.subarray(offset, offset + take), this.#prefixFill);
        this.#prefixFill += take;
        offset += take;
        if (this.#prefixFill === FRAME_PREFIX_BYTES) this.#startBody();
        continue;
      }
      const body = this.#body;
      const take = Math.min(body.length - this.#bodyFill, bytes.length - offset);
      body.set(bytes.subarray(offset, offset + take), this.#bodyFill);
      this.#bodyFill += take;
      offset += take;
      if (this.#bodyFill === body.length) frames.push(this.#finish());
    }
    return frames;
  }

  /**
   * The unfilled rest of the body in progress, when at least `minBytes` of it
   * remain, for the caller to read into directly; otherwise null.
   * @returns a view into the body, or null
   */
  directTarget(minBytes: number): Uint8Array | null {
    const body = this.#body;
    if (body === null || body.length - this.#bodyFill < minBytes) return null;
    return body.subarray(this.#bodyFill);
  }

  /**
   * Records `n` bytes read into {@link directTarget}.
   * @returns the frame, when it is now complete
   */
  commitDirect(n: number): PeerFrame[] {
    const body = this.#body;
    if (body === null || n < 0 || this.#bodyFill + n > body.length) {
      throw new RangeError("commitDirect() without a matching directTarget()");
    }
    this.#bodyFill += n;
    return this.#bodyFill === body.length ? [this.#finish()] : [];
  }

  #startBody(): void {
    const length = new DataView(this.#prefix.buffer).getUint32(0);
    if (length > this.#maxBodyBytes) {
      this.#broken = new AppError(
        "FRAME_TOO_LARGE",
        `Frame of ${length} bytes is longer than the limit of ${this.#maxBodyBytes}`,
      );
      throw this.#broken;
    }
    if (length === 0) {
      this.#broken = new AppError("BAD_REQUEST", "Empty frame");
      throw this.#broken;
    }
    this.#body = this.#allocate(length);
    this.#bodyFill = 0;
  }

  #finish(): PeerFrame {
    const body = this.#body!;
    this.#body = null;
    this.#bodyFill = 0;
    this.#prefixFill = 0;
    return decodeBody(body);
  }
}
