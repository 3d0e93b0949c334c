/**
 * What a replica knows each peer tracker holds: a version vector per peer,
 * raised as ops from it arrive and reset at each handshake. Pure.
 */
import type { VersionVector } from "./storage.ts";

/** Per-peer version vectors. */
export class PeerKnowledge {
  #known = new Map<number, VersionVector>();

  /** The peer's version vector (created empty), to read or raise. */
  of(peer: number): VersionVector {
    let known = this.#known.get(peer);
    if (known === undefined) {
      known = new Map();
      this.#known.set(peer, known);
    }
    return known;
  }

  /** @returns every peer's version vector */
  all(): VersionVector[] {
    return [...this.#known.values()];
  }

  /** Forgets what a peer held (it may have lost data); the next handshake tells again. */
  reset(peer: number, vv: VersionVector): void {
    this.#known.set(peer, new Map(vv));
  }

  /** Ops in `committed` that a peer is not known to have. */
  behind(peer: number, committed: VersionVector): number {
    const known = this.of(peer);
    let behind = 0;
    for (const [origin, max] of committed) behind += Math.max(0, max - (known.get(origin) ?? 0));
    return behind;
  }

  /** Whether some peer is known to hold ops beyond `held`. */
  ahead(held: VersionVector): boolean {
    for (const known of this.#known.values()) {
      for (const [origin, seq] of known) if (seq > (held.get(origin) ?? 0)) return true;
    }
    return false;
  }
}
