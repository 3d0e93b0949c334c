/**
 * Stand-ins an attacker would run, for the client trust tests: a rogue
 * tracker that answers pings and records every request, a balancer that
 * hands out whatever it is told to, and a relay that forwards to a genuine
 * tracker and records what the client sends through it.
 */
import { formatAddr, parseHostPort } from "../protocol/conn_io.ts";
import { serveControlConn } from "../protocol/rpc_server.ts";
import { AppError } from "../protocol/errors.ts";
import { clusterKeyFromSeed, newSigningSeed } from "../protocol/cluster_key.ts";
import { parseProveRequest, signTrackerProof } from "../protocol/tracker_proof.ts";

type Handler = (raw: Record<string, unknown>) => unknown;

/** A control-protocol listener on 127.0.0.1 that answers with `handler`. */
class ControlListener implements AsyncDisposable {
  readonly addr: string;
  #listener: Deno.Listener;
  #conns = new Set<Deno.Conn>();
  #served = new Set<Promise<void>>();
  #accepting: Promise<void>;

  constructor(handler: Handler) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.addr = formatAddr(listener.addr);
    this.#accepting = (async () => {
      try {
        for await (const conn of listener) {
          this.#conns.add(conn);
          const done = serveControlConn(conn, handler).finally(() => {
            this.#conns.delete(conn);
            this.#served.delete(done);
          });
          this.#served.add(done);
        }
      } catch {
        // closed
      }
    })();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    await this.#accepting;
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#served);
  }
}

/** A tracker that is not of the cluster: it signs proofs with a key of its own. */
export class RogueTracker extends ControlListener {
  /** Every request it received, as sent. */
  readonly received: Record<string, unknown>[] = [];

  constructor() {
    const key = clusterKeyFromSeed(newSigningSeed());
    super((raw) => {
      this.received.push(raw);
      if (raw["cmd"] === "ping") return { pong: true };
      if (raw["cmd"] === "prove") {
        return signTrackerProof(key, parseProveRequest(raw).nonce, this.addr);
      }
      if (raw["cmd"] === "login") return { user: raw["user"], token: "f".repeat(64) };
      return {};
    });
  }
}

/** A balancer that hands out the first of `suggest` not excluded, with the `verified` it is told. */
export class ScriptedBalancer extends ControlListener {
  suggest: string[] = [];
  verified = true;

  constructor() {
    super((raw) => {
      if (raw["cmd"] === "report_dead") return { checking: true };
      if (raw["cmd"] !== "get_tracker") throw new AppError("UNKNOWN_COMMAND", "not here");
      const exclude = Array.isArray(raw["exclude"]) ? raw["exclude"] : [];
      const addr = this.suggest.find((a) => !exclude.includes(a));
      if (addr === undefined) throw new AppError("UNAVAILABLE", "No live tracker");
      return { addr, clients: 0, verified: this.verified };
    });
  }
}

/** A TCP relay to `target` that keeps every byte clients sent through it. */
export class RecordingRelay implements AsyncDisposable {
  readonly addr: string;
  /** What clients sent, as text. */
  sent = "";
  #listener: Deno.Listener;
  #open = new Set<Deno.Conn>();
  #pipes = new Set<Promise<void>>();
  #accepting: Promise<void>;

  constructor(target: string) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.addr = formatAddr(listener.addr);
    this.#accepting = (async () => {
      try {
        for await (const inbound of listener) {
          const done = this.#serve(inbound, target).finally(() => this.#pipes.delete(done));
          this.#pipes.add(done);
        }
      } catch {
        // closed
      }
    })();
  }

  async #serve(inbound: Deno.Conn, target: string): Promise<void> {
    let outbound: Deno.Conn;
    try {
      outbound = await Deno.connect(parseHostPort(target));
    } catch {
      inbound.close();
      return;
    }
    this.#open.add(inbound).add(outbound);
    const decoder = new TextDecoder();
    await Promise.all([
      this.#pipe(inbound, outbound, (bytes) => this.sent += decoder.decode(bytes)),
      this.#pipe(outbound, inbound, () => {}),
    ]);
  }

  async #pipe(from: Deno.Conn, to: Deno.Conn, seen: (bytes: Uint8Array) => void): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        seen(buffer.slice(0, n));
        for (let off = 0; off < n;) off += await to.write(buffer.subarray(off, n));
      }
    } catch {
      // either side closed
    }
    for (const conn of [from, to]) {
      try {
        conn.close();
      } catch {
        // already closed
      }
      this.#open.delete(conn);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    await this.#accepting;
    for (const conn of this.#open) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#pipes);
  }
}
