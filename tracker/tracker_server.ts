/**
 * The tracker server: accepts control connections, dispatches each request
 * (client commands, `status`/`digest`, and links from peer trackers) through
 * the one protocol dispatcher, keeps the replica, dials the peer trackers and
 * registers with the balancers.
 */
import process from "node:process";
import { startBalancerLink } from "./balancer_link.ts";
import { formatAddr } from "../protocol/conn_io.ts";
import { listenConn } from "../protocol/tls.ts";
import { acceptConnections } from "../protocol/accept_loop.ts";
import { AppError, describeError } from "../protocol/errors.ts";
import { isPeerCommand, parsePeerRequest } from "../protocol/cluster_messages.ts";
import { BufferBudget, serveControlConn } from "../protocol/rpc_server.ts";
import { encodeLine } from "../protocol/framing.ts";
import { errorReply } from "../protocol/envelope.ts";
import {
  parseRetryId,
  parseTrackerRequest,
  type TrackerReplies,
} from "../protocol/tracker_messages.ts";
import { createLogins, runCommand } from "./commands.ts";
import { sourceKey } from "../protocol/source_address.ts";
import { TRACKER_MAX_LINE_BYTES, type TrackerConfig } from "./config.ts";
import type { ClusterKey } from "../protocol/cluster_key.ts";
import { loadClusterKey } from "./signing_key.ts";
import { parseProveRequest, signTrackerProof } from "../protocol/tracker_proof.ts";
import { signTicket } from "../protocol/ticket.ts";
import { sessionUser } from "./decide.ts";
import type { FileOffer } from "./decide_files.ts";
import { describeCommand } from "./command_log.ts";
import { Replica, type ReplicaOptions } from "./replica.ts";
import { PeerLinks } from "./replication_links.ts";
import { ReplicationSession } from "./replication_server.ts";
import { OpScreen } from "./op_screen.ts";
import { vvToObject } from "./storage.ts";
import { commandLabel } from "../protocol/prom_text.ts";
import { TrackerActivity } from "./tracker_activity.ts";
import { startTrackerDashboard } from "./tracker_dashboard.ts";
import { CloseTally } from "./close_tally.ts";

/** A running tracker. */
export interface TrackerHandle extends AsyncDisposable {
  /** The listening address, host:port. */
  addr: string;
  /** The dashboard's address, when `httpPort` asked for one. */
  dashboardUrl: string | undefined;
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
  peer: ReplicationSession | undefined;
  /** For the dashboard: when it opened, requests so far, its logged-in user. */
  sinceMs: number;
  requests: number;
  user: string | undefined;
}

/**
 * Opens the op log in `config.dataDir`, listens, and starts the cluster and balancer links.
 * @param storage how to open the op log (tests inject storage faults); the SQLite file by default
 * @returns the running tracker
 */
export async function startTracker(
  config: TrackerConfig,
  storage: Pick<ReplicaOptions, "openStore"> = {},
): Promise<TrackerHandle> {
  const replica = Replica.open({
    id: config.id,
    dataDir: config.dataDir,
    snapshotEveryOps: config.snapshotEveryOps,
    logKeepOps: config.logKeepOps,
    nowMs: config.nowMs,
    maxClockSkewMs: config.maxClockSkewMs,
    writeRetryMs: config.writeRetryMs,
    log: config.log,
    ...storage,
  });
  let listener: Deno.Listener;
  let clusterKey: ClusterKey;
  try {
    clusterKey = loadClusterKey(config.dataDir, config.clusterSecret);
    listener = await listenConn({ hostname: config.host, port: config.port, tls: config.tls });
  } catch (error) {
    replica.close();
    throw error;
  }
  const addr = formatAddr(listener.addr);
  const logins = createLogins(config);
  const conns = new Set<ConnInfo>();
  const links = new PeerLinks(replica, config, config.advertiseAddr ?? addr);
  const screen = new OpScreen(replica, {
    maxClockSkewMs: config.maxClockSkewMs,
    nowMs: config.nowMs,
    log: config.log,
  });
  const selfAddrs = [addr, ...(config.advertiseAddr === undefined ? [] : [config.advertiseAddr])];
  const balancerLink = config.balancers.length === 0 ? undefined : startBalancerLink({
    balancers: config.balancers,
    trackerAddr: config.advertiseAddr ?? addr,
    clusterSecret: config.clusterSecret,
    clientCount: () => countClients(conns),
    onEvent: (event) => {
      if (event.state === "refused") {
        config.log(`balancer ${event.balancer} refused this tracker: ${event.reason}`);
      }
    },
    caCerts: config.tlsCaCerts,
  });

  const status = (): TrackerReplies["status"] => ({
    id: replica.id,
    addr,
    links: links.statuses(),
    versionVector: vvToObject(replica.committed),
    conflicts: screen.conflicts(),
    writes: replica.unwritable ?? "ok",
    memory: memoryFigures(),
  });

  const activity = new TrackerActivity();
  // Times and counts every request by command name only, for the dashboard and metrics.
  const handle = (info: ConnInfo) => async (raw: Record<string, unknown>) => {
    const startMs = performance.now();
    info.requests++;
    let outcome = "ok";
    try {
      const reply = await answer(info, raw);
      if (typeof raw["token"] === "string" && info.user === undefined) {
        info.user = userOf(raw["token"]);
      }
      return reply;
    } catch (error) {
      outcome = error instanceof AppError ? error.code : "INTERNAL";
      throw error;
    } finally {
      const ms = Math.round((performance.now() - startMs) * 10) / 10;
      activity.answered(commandLabel(raw["cmd"], outcome), outcome, ms, Date.now());
    }
  };
  // The user of a session token, or undefined when it opens none (for logs and the dashboard).
  const userOf = (token: string) => {
    try {
      return sessionUser(replica.state, token);
    } catch {
      return undefined;
    }
  };

  const answer = async (info: ConnInfo, raw: Record<string, unknown>) => {
    if (isPeerCommand(raw)) {
      info.peer ??= new ReplicationSession({
        replica,
        clusterSecret: config.clusterSecret,
        remote: formatAddr(info.conn.remoteAddr),
        localAddr: formatAddr(info.conn.localAddr),
        selfAddrs,
        screen,
        log: config.log,
        onPeer: (peerId, peerAddr) => links.ensure(peerId, peerAddr),
      });
      return await info.peer.handle(parsePeerRequest(raw));
    }
    if (raw["cmd"] === "prove") {
      // Signs the client's nonce with the address clients dial: proof of membership, no secret.
      const selfAddr = config.advertiseAddr ?? addr;
      return signTrackerProof(clusterKey, parseProveRequest(raw).nonce, selfAddr);
    }
    const req = parseTrackerRequest(raw);
    if (req.cmd === "status") return status();
    if (req.cmd === "digest") return replica.digest();
    const user = "token" in req ? userOf(req.token) : undefined;
    // A connection that starts with a session made earlier: a client back after failover.
    if ("token" in req && !info.isClient && user !== undefined) {
      config.log(
        `${user} arrived with an existing session from ${formatAddr(info.conn.remoteAddr)}`,
      );
    }
    if (req.cmd === "login" || "token" in req) info.isClient = true;
    const caller = {
      source: sourceKey((info.conn.remoteAddr as Deno.NetAddr).hostname),
      conn: info,
    };
    const data = await runCommand(replica, req, {
      logins,
      caller,
      rid: parseRetryId(raw),
      peerLeaseMs: config.peerLeaseMs,
    });
    const event = describeCommand(req, user);
    if (event !== undefined) config.log(event);
    if (req.cmd === "download_file") {
      // Signed here, where the key is: a member's fetch comes with its proof for the seeders.
      const offer = data as FileOffer;
      const pieceHashes = await replica.pieceHashesOf(offer.manifest);
      if (pieceHashes === undefined) {
        throw new AppError("UNAVAILABLE", `The piece hashes of "${offer.name}" are not here yet`);
      }
      const { fileHash, size, pieceSize } = offer.manifest;
      const ticket = signTicket(clusterKey, {
        user: sessionUser(replica.state, req.token),
        group: offer.group,
        fileHash,
        notAfterMs: Date.now() + config.ticketLifetimeMs,
      });
      return {
        ...offer,
        manifest: { fileHash, size, pieceSize, pieceHashes },
        ticket,
      } satisfies TrackerReplies["download_file"];
    }
    const withKey = req.cmd === "login" || req.cmd === "whoami";
    return withKey ? { ...data as object, clusterKey: clusterKey.publicKey } : data;
  };

  const budget = new BufferBudget(config.maxBufferedBytes);
  const closes = new CloseTally(config.log);
  const accepting = acceptConnections(listener, {
    maxConnections: config.maxConnections,
    maxPerSource: config.maxConnectionsPerSource,
    firstMessageMs: config.firstMessageTimeoutMs,
    idleMs: config.idleTimeoutMs,
    serverName: "Tracker",
    onClosed: (_source, reason) => closes.closed(reason),
    refusal: (message) => encodeLine(errorReply(null, "UNAVAILABLE", message)),
    serve: (conn, activity) => {
      const info: ConnInfo = {
        conn,
        isClient: false,
        peer: undefined,
        sinceMs: Date.now(),
        requests: 0,
        user: undefined,
      };
      conns.add(info);
      return serveControlConn(conn, handle(info), {
        maxLineBytes: TRACKER_MAX_LINE_BYTES,
        budget,
        activity,
        onInternalError: (error) => config.log(`tracker: internal error: ${describeError(error)}`),
      }).finally(() => conns.delete(info));
    },
  });

  let dashboard: ReturnType<typeof startTrackerDashboard> | undefined;
  try {
    dashboard = config.httpPort === undefined
      ? undefined
      : startTrackerDashboard({ host: config.host, port: config.httpPort }, () => ({
        status: status(),
        connections: [...conns].map((info) => ({
          remote: formatAddr(info.conn.remoteAddr),
          kind: info.peer !== undefined ? "peer" : info.isClient ? "client" : "other",
          user: info.user,
          requests: info.requests,
          sinceMs: info.sinceMs,
        })),
        activity,
        nowMs: Date.now(),
      }));
  } catch (error) {
    await accepting.close();
    await links.close();
    await balancerLink?.close();
    replica.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await dashboard?.close();
      await accepting.close();
      closes.flush();
      await links.close();
      await balancerLink?.close();
      replica.close();
    })();

  return {
    addr,
    dashboardUrl: dashboard?.url,
    clientCount: () => countClients(conns),
    digest: () => replica.digest().digest,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Resident memory now and at its peak; the two come from different counters. */
function memoryFigures(): { rssBytes: number; peakRssBytes: number } {
  const rssBytes = Deno.memoryUsage().rss;
  // maxRSS is in KiB and needs no permission, unlike /proc; it lags a little
  // behind the current figure, which is a lower bound of the peak.
  return { rssBytes, peakRssBytes: Math.max(rssBytes, process.resourceUsage().maxRSS * 1024) };
}

function countClients(conns: Set<ConnInfo>): number {
  let count = 0;
  for (const info of conns) if (info.isClient) count++;
  return count;
}
