/**
 * Small pure helpers of a download run: the fields of the tasks it hands to
 * workers, and how a fresh peer list from the tracker changes its peers.
 */
import { type Manifest, pieceLength } from "../../protocol/manifest.ts";
import type { PiecePicker } from "./piece_picker.ts";
import type { PieceTaskFields } from "./worker_messages.ts";

export type { PieceTaskFields };

/** What a task in flight is about. */
export type TaskInfo =
  | { kind: "fetch"; index: number; peer: string }
  | { kind: "verify"; index: number }
  | { kind: "probe"; peer: string };

/** @returns the ids of the fetches of piece `index` from any of `peers` */
export function fetchesOf(tasks: Map<number, TaskInfo>, index: number, peers: string[]): number[] {
  if (peers.length === 0) return [];
  const ids: number[] = [];
  for (const [taskId, info] of tasks) {
    if (info.kind === "fetch" && info.index === index && peers.includes(info.peer)) {
      ids.push(taskId);
    }
  }
  return ids;
}

/** The fields every task that talks to a peer carries. */
export interface PeerTaskFields {
  peer: string;
  peerCert: string | undefined;
  fileHash: string;
  ticket: string;
  timeoutMs: number;
}

/** @returns the fields of a task on piece `index` of the `.part` file */
export function pieceTaskFields(
  jobId: number,
  taskId: number,
  path: string,
  manifest: Manifest,
  index: number,
): PieceTaskFields {
  return {
    jobId,
    taskId,
    path,
    index,
    offset: index * manifest.pieceSize,
    length: pieceLength(manifest, index),
    pieceHash: manifest.pieceHashes[index]!,
  };
}

/** @returns the fields of a task that talks to `peer` */
export function peerTaskFields(
  peer: string,
  peerCert: string | undefined,
  fileHash: string,
  ticket: string,
  timeoutMs: number,
): PeerTaskFields {
  return { peer, peerCert, fileHash, ticket, timeoutMs };
}

/**
 * Applies the tracker's current peer list: a known peer missing from it has
 * left; a dropped one listed again (not banned) comes back once `retryMs`
 * has passed since an unreachable drop.
 * @returns the peers that just left (to disconnect) and those revived (to ask again)
 */
export function relist(
  picker: PiecePicker,
  addrs: string[],
  nowMs: number,
  retryMs: number,
): { left: string[]; revived: string[] } {
  const listed = new Set(addrs);
  const left: string[] = [];
  const revived: string[] = [];
  for (const peer of picker.peers()) {
    if (!listed.has(peer.id)) {
      if (!peer.dropped) left.push(peer.id);
      picker.dropPeer(peer.id, "left", nowMs);
    } else if (peer.dropped && picker.revivePeer(peer.id, nowMs, retryMs)) {
      revived.push(peer.id);
    }
  }
  return { left, revived };
}
