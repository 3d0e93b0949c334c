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
 * exponential backoff.
 */
import { AppError } from "../protocol/errors.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { sleep } from "../protocol/sleep.ts";
import {
  linkProof,
  newNonce,
  parseVersionVector,
  type PeerReplies,
  proofMatches,
} from "../protocol/cluster_messages.ts";
import type { LinkStatus } from "../protocol/tracker_messages.ts";
import {
  PEER_CONNECT_TIMEOUT_MS,
  PEER_REQUEST_TIMEOUT_MS,
  REPLICATION_BATCH_BYTES,
  TRACKER_MAX_LINE_BYTES,
} from "./config.ts";
import type { Replica } from "./replica.ts";

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
        peerId = await handshake(client, options);
        setState("connected", "");
        backoffMs = options.reconnectInitialMs;
        await pump(client, peerId, options, () => stopped);
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

async function handshake(client: RpcClient, options: PeerLinkOptions): Promise<number> {
  const { replica, clusterSecret } = options;
  const dialerNonce = newNonce();
  const hello = await client.request<PeerReplies["peer_hello"]>("peer_hello", {
    from: replica.id,
    nonce: dialerNonce,
    addr: options.selfAddr,
  });
  const input = {
    dialerNonce,
    acceptorNonce: String(hello.nonce),
    dialerId: replica.id,
    acceptorId: Number(hello.id),
  };
  const proof = linkProof(clusterSecret, { role: "dialer", ...input });
  const auth = await client.request<PeerReplies["peer_auth"]>("peer_auth", { proof });
  const expected = linkProof(clusterSecret, { role: "acceptor", ...input });
  if (typeof auth.proof !== "string" || !proofMatches(expected, auth.proof)) {
    throw new AppError("UNAUTHORIZED", "the peer does not know the cluster secret");
  }
  replica.resetKnown(input.acceptorId, parseVersionVector(auth.versionVector));
  return input.acceptorId;
}

async function pump(
  client: RpcClient,
  peerId: number,
  options: PeerLinkOptions,
  isStopped: () => boolean,
): Promise<void> {
  const { replica } = options;
  while (!isStopped() && !client.isClosed) {
    const batch = replica.missingFor(peerId, options.batchOps, REPLICATION_BATCH_BYTES);
    if (batch.length === 0) {
      await Promise.race([replica.nextCommit(), client.closed]);
      continue;
    }
    const reply = await client.request<PeerReplies["peer_ops"]>(
      "peer_ops",
      { ops: batch },
      PEER_REQUEST_TIMEOUT_MS,
    );
    replica.resetKnown(peerId, parseVersionVector(reply.versionVector));
  }
}
