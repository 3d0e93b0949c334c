/**
 * Small helpers for `Deno.Conn`: a write that loops over partial writes
 * (`conn.write` may write part of a buffer), serialized so concurrent writers
 * never interleave their frames.
 */

/** Anything with a `write` that may write part of a buffer, like `Deno.Conn`. */
export interface ByteWriter {
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * Writes all of `bytes`, looping over partial writes.
 * @param conn the connection
 * @param bytes what to write
 */
export async function writeAll(conn: ByteWriter, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** Queues writes to one connection so each frame goes out whole and in order. */
export class SerialWriter {
  #conn: ByteWriter;
  #tail: Promise<void> = Promise.resolve();

  /** @param conn the connection to write to */
  constructor(conn: ByteWriter) {
    this.#conn = conn;
  }

  /**
   * Writes one frame after every frame queued before it.
   * @returns a promise that settles once this frame is written (or failed)
   */
  write(bytes: Uint8Array): Promise<void> {
    const next = this.#tail.then(() => writeAll(this.#conn, bytes));
    this.#tail = next.catch(() => {});
    return next;
  }
}

/**
 * Parses `host:port` (IPv6 in brackets).
 * @returns hostname and port
 * @throws {TypeError} when the text is not an address
 */
export function parseHostPort(text: string): { hostname: string; port: number } {
  const colon = text.lastIndexOf(":");
  const port = Number(text.slice(colon + 1));
  let hostname = text.slice(0, colon);
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535 || hostname === "") {
    throw new TypeError(`"${text}" is not an address host:port`);
  }
  return { hostname, port };
}

/**
 * Formats a listener's or connection's address as `host:port`.
 * @returns the address text
 */
export function formatAddr(addr: Deno.Addr): string {
  const net = addr as Deno.NetAddr;
  return net.hostname.includes(":")
    ? `[${net.hostname}]:${net.port}`
    : `${net.hostname}:${net.port}`;
}
