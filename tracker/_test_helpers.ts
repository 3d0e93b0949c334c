/**
 * Test helpers for the pure tracker core: a simulated tracker that decides,
 * stamps and applies ops like the real one (without storage or sockets), a
 * seeded random generator, and manifest fixtures.
 */
import { createHash } from "node:crypto";
import { fileHashOf, type Manifest } from "../protocol/manifest.ts";
import type { SessionRequest, TrackerReplies } from "../protocol/tracker_messages.ts";
import {
  answerQuery,
  decideCreateUser,
  decideLogin,
  decideWrite,
  isWriteRequest,
  sessionUser,
} from "./decide.ts";
import { formatStamp, type HlcClock, initialClock, observe, tick } from "./hlc.ts";
import type { Op, OpBody } from "./ops.ts";
import { PEER_LEASE_MS, SESSION_TTL_MS } from "./config.ts";
import { applyOp, createState, type TrackerState } from "./state.ts";

/** A request without its token: the simulated tracker adds it. */
export type Command = SessionRequest extends infer R
  ? R extends { token: string } ? Omit<R, "token">
  : never
  : never;

/** One tracker of a simulated cluster. */
export class SimTracker {
  state: TrackerState = createState();
  clock: HlcClock = initialClock();
  /** Every op this tracker applied, in the order it applied them. */
  log: Op[] = [];
  nowMs: number;
  readonly origin: number;
  #seq = 0;
  #seen = new Set<string>();

  constructor(origin: number, nowMs = 1_700_000_000_000) {
    this.origin = origin;
    this.nowMs = nowMs;
  }

  /** Stamps, applies and logs bodies as this tracker's own ops. */
  commit(bodies: OpBody[]): Op[] {
    return bodies.map((body) => {
      this.clock = tick(this.clock, this.nowMs);
      const op = {
        origin: this.origin,
        seq: ++this.#seq,
        stamp: formatStamp(this.clock, this.origin),
        body,
      };
      this.#apply(op);
      return op;
    });
  }

  /** Applies an op from another tracker (once). */
  receive(op: Op): void {
    if (this.#seen.has(`${op.origin}:${op.seq}`)) return;
    this.clock = observe(this.clock, op.stamp, this.nowMs);
    this.#apply(op);
  }

  #apply(op: Op): void {
    this.#seen.add(`${op.origin}:${op.seq}`);
    applyOp(this.state, op);
    this.log.push(op);
  }

  /** Creates a user whose stored hash is derived from the password. */
  createUser(user: string, password = "pw"): void {
    this.commit(decideCreateUser(this.state, user, `salt-${user}`, `hash-${password}`));
  }

  /** Logs a user in. @returns the new token */
  login(user: string): string {
    const token = `tok-${this.origin}-${this.#seq + 1}-${user}`;
    this.commit(decideLogin(this.state, user, { token, expiresMs: this.nowMs + SESSION_TTL_MS }));
    return token;
  }

  /** Runs a session command as the token's user. @returns the reply data */
  run<C extends Command["cmd"]>(
    token: string,
    command: Extract<Command, { cmd: C }>,
  ): TrackerReplies[C] {
    const req = { ...command, token } as SessionRequest;
    const user = sessionUser(this.state, token);
    if (!isWriteRequest(req)) {
      return answerQuery(this.state, req, user, this.nowMs) as TrackerReplies[C];
    }
    const clock = { nowMs: this.nowMs, ttlMs: PEER_LEASE_MS };
    const decision = decideWrite(this.state, req, user, undefined, clock);
    this.commit(decision.bodies);
    return decision.data as TrackerReplies[C];
  }
}

/** Delivers every op each tracker has to every other tracker. */
export function syncAll(trackers: SimTracker[]): void {
  const all = trackers.flatMap((t) => t.log.slice());
  for (const t of trackers) for (const op of all) t.receive(op);
}

/**
 * A small seeded pseudo-random generator (mulberry32).
 * @returns a function giving floats in [0, 1)
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles a copy of a list with the given generator. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/**
 * A consistent manifest for some content.
 * @param content any text naming the content
 * @returns a manifest of a 3-piece file whose hashes derive from `content`
 */
export function manifestOf(content: string, pieceSize = 4): Manifest {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const size = pieceSize * 2 + 1;
  const pieces = Math.ceil(size / pieceSize);
  const pieceHashes = Array.from({ length: pieces }, (_, i) => sha(`${content}#${i}`));
  return { fileHash: fileHashOf({ size, pieceSize, pieceHashes }), size, pieceSize, pieceHashes };
}
