/**
 * Which peer each verified piece came from, drawn as one character per
 * piece for the client's dashboard: `.` missing, `~` in flight, `=` found
 * verified on disk, and a letter per peer (`a` is the first peer a piece
 * came from, `b` the second...; `#` past `z`). Pure.
 */

/** A download's piece map. */
export interface PieceMap {
  /** One character per piece. */
  pieces: string;
  /** The peer of each letter: `peers[0]` is `a`. */
  peers: string[];
  /** Pieces whose bytes did not match their hash, so far. */
  hashFailures: number;
}

const LETTERS = 26;
const MISSING = -1;
const FROM_DISK = -2;

/** Where each piece of one download came from. */
export class PieceSources {
  #from: Int32Array;
  #peers: string[] = [];
  #hashFailures = 0;

  /** @param pieceCount pieces of the file */
  constructor(pieceCount: number) {
    this.#from = new Int32Array(pieceCount).fill(MISSING);
  }

  /** Records a verified piece, from a peer or (null) from an earlier run's file. */
  mark(index: number, peer: string | null): void {
    if (index < 0 || index >= this.#from.length) return;
    if (peer === null) {
      this.#from[index] = FROM_DISK;
      return;
    }
    let at = this.#peers.indexOf(peer);
    if (at < 0) at = this.#peers.push(peer) - 1;
    this.#from[index] = at;
  }

  /** Counts a piece that failed its hash check. */
  hashFailed(): void {
    this.#hashFailures++;
  }

  /**
   * Draws the map.
   * @param inFlight pieces requested and not yet answered
   * @returns the map
   */
  render(inFlight: Iterable<number>): PieceMap {
    const chars = Array.from(
      this.#from,
      (from) =>
        from === MISSING
          ? "."
          : from === FROM_DISK
          ? "="
          : from < LETTERS
          ? String.fromCharCode(97 + from)
          : "#",
    );
    for (const index of inFlight) if (chars[index] === ".") chars[index] = "~";
    return {
      pieces: chars.join(""),
      peers: this.#peers.slice(0, LETTERS),
      hashFailures: this.#hashFailures,
    };
  }
}
