/**
 * Wires one client together: registry, seeder, tracker session, shares and
 * downloads. `startClient()` returns a handle that runs shell lines and
 * closes everything in order; `main.ts` only adds arguments, printing and
 * signals.
 */
import { join } from "node:path";
import { DownloadManager } from "./local/download_manager.ts";
import { Registry } from "./local/registry.ts";
import { startSeeder } from "./transfer/mod.ts";
import { LocalCatalog } from "./local/share_catalog.ts";
import { ShareManager } from "./local/share_manager.ts";
import { runLine, type ShellResult } from "./shell/shell.ts";
import { TrackerSession } from "./session/tracker_session.ts";
import type { ClientConfig } from "./config.ts";

/** A running client. */
export interface ClientHandle extends AsyncDisposable {
  /** The seeder's address, host:port. */
  seederAddr: string;
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
 * Starts a client: opens its registry, starts its seeder, connects in the background.
 * @returns its handle once the seeder listens
 */
export async function startClient(
  config: ClientConfig,
  options: StartClientOptions,
): Promise<ClientHandle> {
  await Deno.mkdir(config.dataDir, { recursive: true });
  const dbPath = join(config.dataDir, "client.db");
  const registry = new Registry(dbPath);
  // It keeps the session token: readable by its owner only.
  await Deno.chmod(dbPath, 0o600).catch(() => {});
  const catalog = new LocalCatalog();
  const late: { session?: TrackerSession; shares?: ShareManager; downloads?: DownloadManager } = {};
  let seeder;
  try {
    seeder = await startSeeder({
      hostname: config.host,
      port: config.port,
      catalog,
      // Tickets verify against the key learnt at login; logged out, the seeder serves nobody.
      clusterKey: () => late.session?.user !== undefined ? late.session.clusterKey : undefined,
      ...(config.uploadBytesPerSec > 0 ? { uploadBytesPerSec: config.uploadBytesPerSec } : {}),
    });
  } catch (error) {
    registry.close();
    throw error;
  }
  const { onNotice, cwd } = options;
  const session = new TrackerSession({
    ...config,
    trackers: options.trackers,
    store: registry,
    onNotice,
    onSessionStarted: (user) => {
      // In the background: a failure here must reach the user, never crash the client.
      late.shares?.announceAll(user)
        .then(() => late.downloads?.resumePending(user))
        .catch((error) => onNotice(`notice: could not restore shares and downloads: ${error}`));
    },
  });
  late.session = session;
  const seederAddr = seeder.addr;
  const shares = new ShareManager({ registry, session, catalog, seederAddr, cwd, onNotice });
  const downloads = new DownloadManager({
    registry,
    session,
    catalog,
    shares,
    seederAddr,
    workers: config.workers,
    cwd,
    onNotice,
  });
  late.shares = shares;
  late.downloads = downloads;
  session.start();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await downloads.close();
    session.close();
    await seeder.close();
    registry.close();
  };
  return {
    seederAddr,
    run: (line) => runLine({ session, shares, downloads }, line),
    close,
    [Symbol.asyncDispose]: close,
  };
}
