/**
 * Wires one client together: registry, seeder, tracker session, shares and
 * downloads. `startClient()` returns a handle that runs shell lines and
 * closes everything in order; `main.ts` only adds arguments, printing and
 * signals.
 */
import { join } from "node:path";
import { DownloadManager } from "./local/download_manager.ts";
import { Registry } from "./local/registry.ts";
import { ensurePrivateDir } from "../protocol/private_files.ts";
import { startSeeder } from "./transfer/mod.ts";
import { LocalCatalog } from "./local/share_catalog.ts";
import { makePeerIdentity } from "./local/peer_identity.ts";
import { isLoopbackHost } from "../protocol/tls.ts";
import { ShareManager } from "./local/share_manager.ts";
import { PeerPresence } from "./local/peer_presence.ts";
import { runLine, type ShellResult } from "./shell/shell.ts";
import { TrackerSession } from "./session/tracker_session.ts";
import type { ClientConfig } from "./config.ts";
import { startClientDashboard } from "./web/client_dashboard.ts";

/** A running client. */
export interface ClientHandle extends AsyncDisposable {
  /** The seeder's address, host:port. */
  seederAddr: string;
  /** The dashboard's address, when `httpPort` asked for one. */
  dashboardUrl: string | undefined;
  /** Runs one shell line. */
  run(line: string): Promise<ShellResult>;
  /** Stops downloads (keeping verified pieces), the session and the seeder. */
  close(): Promise<void>;
}

/** Options of {@link startClient} besides the config. */
export interface StartClientOptions {
  /** The trackers to use (flags and file merged). */
  trackers: string[];
  /** Receives notice lines for the user. */
  onNotice(line: string): void;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

/**
 * Starts a client: opens its registry, makes its session, starts its seeder, connects in the
 * background.
 * @returns its handle once the seeder listens
 */
export async function startClient(
  config: ClientConfig,
  options: StartClientOptions,
): Promise<ClientHandle> {
  // It keeps the session token: readable by its owner only (0700, files 0600).
  ensurePrivateDir(config.dataDir);
  const registry = new Registry(join(config.dataDir, "client.db"));
  const catalog = new LocalCatalog();
  const { onNotice, cwd } = options;
  // The session calls this only once started (below), after the managers exist.
  const restore = (user: string) => {
    presence.renew();
    // In the background: a failure here must reach the user, never crash the client.
    shares.announceAll(user)
      .then(() => downloads.resumePending(user))
      .catch((error) => onNotice(`notice: could not restore shares and downloads: ${error}`));
  };
  const session = new TrackerSession({
    ...config,
    trackers: options.trackers,
    caCerts: config.tlsCaCerts,
    store: registry,
    onNotice,
    onSessionStarted: restore,
  });
  let seeder;
  let identity;
  try {
    // Pieces that can leave this host travel over TLS; on loopback only when asked.
    const peerTls = config.peerTls || !isLoopbackHost(config.host);
    identity = peerTls ? await makePeerIdentity(config.dataDir, config.host) : undefined;
    seeder = await startSeeder({
      tls: identity,
      hostname: config.host,
      port: config.port,
      catalog,
      maxPerSource: config.seederMaxConnsPerAddress,
      // Tickets verify against the key learnt at login; logged out, the seeder serves nobody.
      clusterKey: () => session.user !== undefined ? session.clusterKey : undefined,
      ...(config.uploadBytesPerSec > 0 ? { uploadBytesPerSec: config.uploadBytesPerSec } : {}),
    });
  } catch (error) {
    session.close();
    registry.close();
    throw error;
  }
  const seederAddr = seeder.addr;
  const seederCert = identity?.cert;
  const shares = new ShareManager({
    registry,
    session,
    catalog,
    seederAddr,
    seederCert,
    cwd,
    onNotice,
  });
  const downloads = new DownloadManager({
    registry,
    session,
    catalog,
    shares,
    seederAddr,
    workers: config.workers,
    cwd,
    onNotice,
    giveUpAfterMs: config.giveUpAfterMs,
    banAfterCorrupt: config.banAfterCorrupt,
  });
  const presence = new PeerPresence({ session, seederAddr, onTick: () => shares.checkFiles() });
  let dashboard: ReturnType<typeof startClientDashboard> | undefined;
  try {
    dashboard = config.httpPort === undefined ? undefined : startClientDashboard(
      { host: config.host, port: config.httpPort },
      () => {
        const list = downloads.list();
        return {
          user: session.user,
          trackerAddr: session.trackerAddr,
          seederAddr,
          downloads: list,
          pieceMaps: new Map(list.flatMap((d) => {
            const map = downloads.pieceMap(d.id);
            return map === undefined ? [] : [[d.id, map] as const];
          })),
          shares: registry.shares(session.user).map((share) => ({
            group: share.group,
            name: share.name,
            size: share.manifest.size,
            pieces: share.manifest.pieceHashes.length,
          })),
          seeder: seeder.stats(),
          session: session.health,
        };
      },
    );
  } catch (error) {
    await presence.close();
    session.close();
    await seeder.close();
    registry.close();
    throw error;
  }
  session.start();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await dashboard?.close();
    await downloads.close();
    await presence.close();
    session.close();
    await seeder.close();
    registry.close();
  };
  return {
    seederAddr,
    dashboardUrl: dashboard?.url,
    run: (line) => runLine({ session, shares, downloads }, line),
    close,
    [Symbol.asyncDispose]: close,
  };
}
