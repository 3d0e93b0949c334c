/** The piece picker's options, answers and piece order (see piece_picker.ts). */

/** Options of PiecePicker. */
export interface PickerOptions {
  pieceCount: number;
  /** Tries per piece before it is exhausted. @default MAX_TRIES_PER_PIECE */
  maxTries?: number;
  /** Consecutive failures that drop a peer. @default PEER_MAX_FAILURES */
  peerMaxFailures?: number;
  /** Peers fetching one piece at once in end-game. @default END_GAME_FETCHERS_PER_PIECE */
  maxFetchersPerPiece?: number;
  /** Fewest slots a peer's share may be. @default MIN_PEER_SHARE_SLOTS */
  minShare?: number;
  /** Corrupt pieces that ban a peer. @default BAN_AFTER_CORRUPT_PIECES */
  banAfterCorrupt?: number;
  /** Take equally rare pieces in a random order, not by index. @default false */
  shuffle?: boolean;
  /** Bytes of a piece, to tell how long a fetch should take. @default 512 KiB */
  pieceBytes?: number;
}

/** A piece to fetch and the peer to fetch it from. */
export interface Assignment {
  index: number;
  peer: string;
  /** True when another peer is already fetching this piece. */
  endgame: boolean;
}

/** What a failure led to. */
export interface FailureOutcome {
  /** The piece has used up its tries. */
  exhausted: boolean;
  /** The peer was dropped by this failure. */
  peerDropped: boolean;
  /** The peer was banned by this failure (also `peerDropped`). */
  peerBanned: boolean;
}

/** What a verified piece led to. */
export interface DoneOutcome {
  /** The piece was not done before: its bytes are used. */
  fresh: boolean;
  /** Other peers still fetching it: their requests are wasted, cancel them. */
  cancel: string[];
}

/** The fields of a piece that order it. */
export interface PieceRank {
  retried: boolean;
  availability: number;
  index: number;
}

/**
 * The picker's total order on pieces: retried first, then rarest, then lowest index.
 * @returns negative when `a` comes first
 */
export function comparePieces(a: PieceRank, b: PieceRank): number {
  if (a.retried !== b.retried) return a.retried ? -1 : 1;
  if (a.availability !== b.availability) return a.availability - b.availability;
  return a.index - b.index;
}

/** Per-peer figures the downloader shows. */
export interface PeerSummary {
  id: string;
  dropped: boolean;
  /** Why it was dropped, e.g. "banned: 3 corrupt pieces". */
  reason?: string;
  bytes: number;
  inFlight: number;
  holdsAll: boolean;
}
