/**
 * The tracker server: accepts control connections, dispatches each request
 * (client commands, `status`/`digest`, and links from peer trackers) through
 * the one protocol dispatcher, keeps the replica, dials the peer trackers and
 * registers with the balancers.
 */
import process from "node:process";
import { startBalancerLink } from "./balancer_link.ts";
import { formatAddr, writeAll } from "../protocol/conn_io.ts";
import { isPeerCommand, parsePeerRequest } from "../protocol/cluster_messages.ts";
import { BufferBudget, serveControlConn } from "../protocol/rpc_server.ts";
import { encodeLine } from "../protocol/framing.ts";
import { errorReply } from "../protocol/envelope.ts";
import {
  parseRetryId,
  parseTrackerRequest,
  type TrackerReplies,
} from "../protocol/tracker_messages.ts";
import { runCommand } from "./commands.ts";
import { TRACKER_MAX_LINE_BYTES, type TrackerConfig } from "./config.ts";
import type { ClusterKey } from "../protocol/cluster_key.ts";
import { loadClusterKey } from "./signing_key.ts";
import { signTicket } from "../protocol/ticket.ts";
import { sessionUser } from "./decide.ts";
import type { FileOffer } from "./decide_files.ts";
import { Replica } from "./replica.ts";
import { PeerLinks } from "./replication_links.ts";
import { PeerSession } from "./replication_server.ts";
import { vvToObject } from "./storage.ts";

/** A running tracker. */
export interface TrackerHandle extends AsyncDisposable {
  /** The listening address, host:port. */
  addr: string;
  /** Open client connections that have logged in or used a session. */
  clientCount(): number;
  /** The state digest, to compare replicas. */
  digest(): string;
  /** Stops accepting, closes connections and links, commits, snapshots and closes the op log. */
  close(): Promise<void>;
}

interface ConnInfo {
  conn: Deno.Conn;
  isClient: boolean;
  peer: PeerSession | undefined;
}

/**
 * Opens the op log in `config.dataDir`, listens, and starts the cluster and balancer links.
 * @returns the running tracker
 */
export function startTracker(config: TrackerConfig): Promise<TrackerHandle> {
  const replica = Replica.open({
    id: config.id,
    dataDir: config.dataDir,
    snapshotEveryOps: config.snapshotEveryOps,
    onFatal: (error) => {
      config.log(`tracker: cannot write the op log: ${String(error)}`);
      config.onFatal(error);
    },
  });
  let listener: Deno.TcpListener;
  let clusterKey: ClusterKey;
  try {
    clusterKey = loadClusterKey(config.dataDir, config.clusterSecret);
    listener = Deno.listen({ hostname: config.host, port: config.port });
  } catch (error) {
    replica.close();
    return Promise.reject(error);
  }
  const addr = formatAddr(listener.addr);
  const conns = new Set<ConnInfo>();
  const serving = new Set<Promise<void>>();
  const links = new PeerLinks(replica, config, config.advertiseAddr ?? addr);
  const balancerLink = config.balancers.length === 0 ? undefined : startBalancerLink({
    balancers: config.balancers,
    trackerAddr: config.advertiseAddr ?? addr,
    clientCount: () => countClients(conns),
  });

  const status = (): TrackerReplies["status"] => ({
    id: replica.id,
    addr,
    links: links.statuses(),
    versionVector: vvToObject(replica.committed),
    memory: memoryFigures(),
  });

  const handle = (info: ConnInfo) => async (raw: Record<string, unknown>) => {
    if (isPeerCommand(raw)) {
      info.peer ??= new PeerSession({
        replica,
        clusterSecret: config.clusterSecret,
        remote: formatAddr(info.conn.remoteAddr),
        log: config.log,
        onPeer: (peerId, peerAddr) => links.ensure(peerId, peerAddr),
      });
      return await info.peer.handle(parsePeerRequest(raw));
    }
    const req = parseTrackerRequest(raw);
    if (req.cmd === "status") return status();
    if (req.cmd === "digest") return replica.digest();
    if (req.cmd === "login" || "token" in req) info.isClient = true;
    const data = await runCommand(replica, req, parseRetryId(raw));
    if (req.cmd === "download_file") {
      // Signed here, where the key is: a member's fetch comes with its proof for the seeders.
      const offer = data as FileOffer;
      const ticket = signTicket(clusterKey, {
        user: sessionUser(replica.state, req.token),
        group: offer.group,
        fileHash: offer.manifest.fileHash,
        notAfterMs: Date.now() + config.ticketLifetimeMs,
      });
      return { ...offer, ticket } satisfies TrackerReplies["download_file"];
    }
    const withKey = req.cmd === "login" || req.cmd === "whoami";
    return withKey ? { ...data as object, clusterKey: clusterKey.publicKey } : data;
  };

  const budget = new BufferBudget(config.maxBufferedBytes);
  const acceptLoop = async () => {
    for await (const conn of listener) {
      if (conns.size >= config.maxConnections) {
        refuse(conn, `Tracker is at its limit of ${config.maxConnections} connections`);
        continue;
      }
      const info: ConnInfo = { conn, isClient: false, peer: undefined };
      conns.add(info);
      const done = serveControlConn(conn, handle(info), {
        maxLineBytes: TRACKER_MAX_LINE_BYTES,
        budget,
        onInternalError: (error) => config.log(`tracker: internal error: ${String(error)}`),
      }).finally(() => {
        conns.delete(info);
        serving.delete(done);
      });
      serving.add(done);
    }
  };
  const accepting = acceptLoop().catch(() => {});

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      try {
        listener.close();
      } catch {
        // already closed
      }
      await accepting;
      await links.close();
      await balancerLink?.close();
      for (const info of conns) {
        try {
          info.conn.close();
        } catch {
          // already closed
        }
      }
      await Promise.all([...serving]);
      replica.close();
    })();

  return Promise.resolve({
    addr,
    clientCount: () => countClients(conns),
    digest: () => replica.digest().digest,
    close,
    [Symbol.asyncDispose]: close,
  });
}

/** Resident memory now and at its peak; the two come from different counters. */
function memoryFigures(): { rssBytes: number; peakRssBytes: number } {
  const rssBytes = Deno.memoryUsage().rss;
  // maxRSS is in KiB and needs no permission, unlike /proc; it lags a little
  // behind the current figure, which is a lower bound of the peak.
  return { rssBytes, peakRssBytes: Math.max(rssBytes, process.resourceUsage().maxRSS * 1024) };
}

/** Tells a connection over the limit why, and closes it, without waiting on it. */
function refuse(conn: Deno.Conn, message: string): void {
  writeAll(conn, encodeLine(errorReply(null, "UNAVAILABLE", message)))
    .catch(() => {})
    .finally(() => {
      try {
        conn.close();
      } catch {
        // already closed
      }
    });
}

function countClients(conns: Set<ConnInfo>): number {
  let count = 0;
  for (const info of conns) if (info.isClient) count++;
  return count;
}
