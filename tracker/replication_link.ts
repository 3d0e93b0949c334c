/**
 * The dialing end of a link to one peer tracker. Replication is push-based:
 * each tracker dials every peer and sends it what it lacks; the peer does the
 * same the other way. On every (re)connect the two ends authenticate, the
 * peer reports its version vector, and the sender streams the missing ops
 * from its SQLite op log in bounded batches, oldest first per origin; after
 * that it sends new ops (its own and those it received from others) as soon
 * as they are committed. Each batch is acknowledged only once durable on the
 * peer, so a crash on either side loses nothing: the next handshake resumes
 * from what the peer really holds. A lost connection is redialed with
 * exponential backoff. Origins the peer will not take yet (stamped too far
 * ahead of its clock, or in conflict) are left aside for a while, so the
 * others keep flowing. Once the peer holds the same ops, the two compare
 * state digests, and a difference shows as a mismatch in `status`.
 */
import { AppError } from "../protocol/errors.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { sleep } from "../protocol/sleep.ts";
import type { LinkStatus } from "../protocol/tracker_messages.ts";
import {
  DIGEST_CHECK_INTERVAL_MS,
  LINK_KEEPALIVE_MS,
  PEER_CONNECT_TIMEOUT_MS,
  PEER_REQUEST_TIMEOUT_MS,
  REPLICATION_BATCH_BYTES,
  TRACKER_MAX_LINE_BYTES,
} from "./config.ts";
import { DialedLink } from "./link_dialer.ts";
import type { Op } from "./ops.ts";
import type { Replica } from "./replica.ts";
import { shipSnapshot } from "./snapshot_transfer.ts";

/** Options of {@link startPeerLink}. */
export interface PeerLinkOptions {
  /** The peer's control address, host:port. */
  peer: string;
  replica: Replica;
  /** This tracker's own control address, told to the peer so it can dial back. */
  selfAddr: string;
  clusterSecret: string;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  batchOps: number;
  log: (line: string) => void;
  /** Dial the peer with TLS, trusting these roots (PEM). @default plain TCP */
  caCerts?: string[] | undefined;
}

/** A running link to one peer. */
export interface PeerLink {
  /** The address this link dials. */
  readonly peer: string;
  /** The peer's tracker id, once a handshake has told it. */
  peerId(): number | undefined;
  /** The link's state and how many committed ops the peer is not known to have. */
  status(): LinkStatus;
  /** Stops dialing and closes the connection. */
  close(): Promise<void>;
}

/**
 * Starts dialing a peer and pushing ops to it, until closed.
 * @returns the link handle
 */
export function startPeerLink(options: PeerLinkOptions): PeerLink {
  let state: LinkStatus["state"] = "connecting";
  let peerId: number | undefined;
  let client: RpcClient | undefined;
  const sync: LinkSync = { digest: "unchecked", paused: new Map(), waitedOn: new Set() };
  let stopped = false;
  const stopping = new AbortController();
  const { replica, log, peer } = options;

  const setState = (next: LinkStatus["state"], why: string) => {
    if (next !== state && (next === "connected" || state === "connected" || next === "refused")) {
      log(`cluster link to ${peer}: ${next}${why === "" ? "" : ` (${why})`}`);
    }
    state = next;
  };

  const loop = async () => {
    let backoffMs = options.reconnectInitialMs;
    while (!stopped) {
      try {
        client = await RpcClient.connect(peer, {
          connectTimeoutMs: PEER_CONNECT_TIMEOUT_MS,
          maxLineBytes: TRACKER_MAX_LINE_BYTES,
          caCerts: options.caCerts,
        });
        if (stopped) break;
        const link = await DialedLink.open(client, {
          secret: options.clusterSecret,
          selfId: replica.id,
          selfAddr: options.selfAddr,
          peer,
        });
        peerId = link.peerId;
        replica.resetKnown(peerId, link.versionVector);
        setState("connected", "");
        backoffMs = options.reconnectInitialMs;
        await pump(client, link, sync, options, () => stopped);
      } catch (error) {
        const refused = error instanceof AppError && error.code === "UNAUTHORIZED";
        setState(refused ? "refused" : "down", error instanceof Error ? error.message : "");
      } finally {
        client?.close();
        client = undefined;
      }
      if (stopped) break;
      await sleep(backoffMs, stopping.signal);
      backoffMs = Math.min(backoffMs * 2, options.reconnectMaxMs);
    }
  };
  const running = loop();

  return {
    peer,
    peerId: () => peerId,
    status: () => ({
      peer,
      state,
      behind: peerId === undefined ? replica.opCount : replica.behindFor(peerId),
      digest: sync.digest,
      paused: [...sync.paused.keys()],
    }),
    close: async () => {
      stopped = true;
      client?.close();
      stopping.abort();
      replica.wakeAll();
      await running;
    },
  };
}

/** What a link has learned of its peer beyond the version vector. */
interface LinkSync {
  digest: LinkStatus["digest"];
  /** Origin → when (Date.now) to offer its ops again. */
  paused: Map<number, number>;
  /** Origins the peer has been waiting on since it last took one of their ops (logged once). */
  waitedOn: Set<number>;
}

/** Logs once when the peer starts waiting on an origin, and again after it took its ops. */
function notePaused(
  batch: readonly Op[],
  paused: readonly number[],
  sync: LinkSync,
  log: (line: string) => void,
): void {
  for (const origin of paused) {
    if (sync.waitedOn.has(origin)) continue;
    sync.waitedOn.add(origin);
    log(
      `the peer waits on the ops of tracker ${origin} (stamped ahead of its clock, or in conflict)`,
    );
  }
  for (const op of batch) if (!paused.includes(op.origin)) sync.waitedOn.delete(op.origin);
}

async function pump(
  client: RpcClient,
  link: DialedLink,
  sync: LinkSync,
  options: PeerLinkOptions,
  isStopped: () => boolean,
): Promise<void> {
  const { replica, log, peer } = options;
  const peerId = link.peerId;
  let commit = replica.nextCommit();
  let committed = false;
  commit.then(() => {
    committed = true;
  });
  let comparedAt = ""; // the version vector of the last conclusive digest comparison
  let askedAtMs = -Infinity;
  let spokeAtMs = Date.now();
  while (!isStopped() && !client.isClosed) {
    const now = Date.now();
    if (now - spokeAtMs >= LINK_KEEPALIVE_MS) {
      spokeAtMs = now;
      await link.keepAlive(PEER_REQUEST_TIMEOUT_MS);
      continue;
    }
    for (const [origin, until] of sync.paused) if (until <= now) sync.paused.delete(origin);
    if (replica.needsSnapshot(peerId)) {
      log(
        `cluster link to ${peer}: the peer lacks ops this log no longer holds; sending the snapshot`,
      );
      replica.resetKnown(peerId, await shipSnapshot(link, replica, PEER_REQUEST_TIMEOUT_MS));
      if (replica.needsSnapshot(peerId)) throw new Error("the peer did not take the snapshot");
      continue;
    }
    const skip = new Set(sync.paused.keys());
    const batch = replica.missingFor(peerId, options.batchOps, REPLICATION_BATCH_BYTES, skip);
    if (batch.length > 0) {
      spokeAtMs = now;
      const ack = await link.sendOps(batch, PEER_REQUEST_TIMEOUT_MS);
      replica.resetKnown(peerId, ack.versionVector);
      notePaused(batch, ack.paused, sync, (line) => log(`cluster link to ${peer}: ${line}`));
      for (const origin of ack.paused) sync.paused.set(origin, Date.now() + options.reconnectMaxMs);
      continue;
    }
    const held = vvKey(replica.held);
    const due = sync.paused.size === 0 && replica.behindFor(peerId) === 0 && held !== comparedAt;
    if (due && now - askedAtMs >= DIGEST_CHECK_INTERVAL_MS) {
      askedAtMs = now;
      spokeAtMs = now;
      const theirs = await link.digest(PEER_REQUEST_TIMEOUT_MS);
      // Conclusive only when both digests are of the same ops.
      if (vvKey(theirs.versionVector) === vvKey(replica.held)) {
        comparedAt = vvKey(replica.held);
        const next = theirs.digest === replica.digest().digest ? "match" : "mismatch";
        if (next === "mismatch" && sync.digest !== "mismatch") {
          log(`cluster link to ${peer}: state digests differ although both hold the same ops`);
        }
        sync.digest = next;
      }
      continue;
    }
    let wakeAtMs = Infinity;
    for (const until of sync.paused.values()) wakeAtMs = Math.min(wakeAtMs, until);
    if (due) wakeAtMs = Math.min(wakeAtMs, askedAtMs + DIGEST_CHECK_INTERVAL_MS);
    wakeAtMs = Math.min(wakeAtMs, spokeAtMs + LINK_KEEPALIVE_MS);
    await waitUntil([commit, client.closed], wakeAtMs - Date.now());
    if (committed) {
      commit = replica.nextCommit();
      committed = false;
      commit.then(() => {
        committed = true;
      });
    }
  }
}

function vvKey(vv: ReadonlyMap<number, number>): string {
  return JSON.stringify([...vv].filter(([, seq]) => seq > 0).sort(([a], [b]) => a - b));
}

/** Waits for the first of `events`, or `ms` at most (a timer that never outlives the wait). */
async function waitUntil(events: Promise<unknown>[], ms: number): Promise<void> {
  if (ms === Infinity) {
    await Promise.race(events);
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      ...events,
      new Promise<void>((resolve) => timer = setTimeout(resolve, Math.max(0, ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
