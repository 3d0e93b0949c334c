/**
 * An idle-socket flood for the exhaustion tests: many TCP connections from
 * one loopback source address (node:net can pick the source) that never
 * send a byte, and what the server did to each: refused it at once, or
 * closed it later.
 */
import net from "node:net";
import { parseHostPort } from "../protocol/conn_io.ts";

/** A running flood. */
export interface IdleFlood extends AsyncDisposable {
  /** Connections the server accepted (refused ones included). */
  readonly opened: number;
  /** Connections the server has closed so far. */
  closed(): number;
  /** Everything the server sent on all of them, joined. */
  received(): string;
  /** Closes every socket and waits until each is gone. */
  close(): Promise<void>;
}

/**
 * Opens `count` idle connections to `addr` from `localAddress`, one after another.
 * @returns the flood, every socket connected (or failed to)
 */
export async function openIdleFlood(
  addr: string,
  count: number,
  localAddress: string,
): Promise<IdleFlood> {
  const { hostname, port } = parseHostPort(addr);
  const sockets: net.Socket[] = [];
  const gone: Promise<void>[] = [];
  let closedCount = 0;
  let destroying = false;
  let text = "";
  for (let i = 0; i < count; i++) {
    const socket = net.connect({ host: hostname, port, localAddress });
    socket.on("data", (chunk) => text += new TextDecoder().decode(chunk));
    socket.on("error", () => {});
    gone.push(new Promise((resolve) => socket.once("close", () => resolve())));
    socket.once("close", () => {
      if (!destroying) closedCount++;
    });
    const connected = await new Promise<boolean>((resolve) => {
      socket.once("connect", () => resolve(true));
      socket.once("close", () => resolve(false));
    });
    if (connected) sockets.push(socket);
  }
  const close = async () => {
    destroying = true;
    for (const socket of sockets) socket.destroy();
    await Promise.all(gone);
  };
  return {
    opened: sockets.length,
    closed: () => closedCount,
    received: () => text,
    close,
    [Symbol.asyncDispose]: close,
  };
}
