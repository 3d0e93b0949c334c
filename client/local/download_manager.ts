/**
 * client/local/ is what the client keeps on this machine: the registry
 * (registry.ts, SQLite in the data dir), the share manager (share_manager.ts),
 * these downloads, and the catalog the seeder serves from (share_catalog.ts).
 * It drives client/transfer/ through its mod.ts and the tracker through the
 * session.
 *
 * The client's downloads: starts them in the background, records them in the
 * registry so a restart resumes them (the downloader keeps verified pieces in
 * the `.part` file), lets the seeder serve their verified pieces meanwhile,
 * and turns a finished download into a share, so its user becomes a seeder.
 */
import { AppError } from "../../protocol/errors.ts";
import {
  createWorkerPool,
  type Download,
  type DownloadProgress,
  type PieceMap,
  startDownload,
  type WorkerPool,
} from "../transfer/mod.ts";
import type { DownloadRecord, DownloadState, Registry } from "./registry.ts";
import type { LocalCatalog } from "./share_catalog.ts";
import type { ShareManager } from "./share_manager.ts";
import { resolveDestination } from "./destination.ts";
import { certsOf } from "./peer_certs.ts";
import type { TrackerSession } from "../session/tracker_session.ts";
import { type DownloadView, downloadView } from "./download_view.ts";

export type { DownloadView };

/** Options of {@link DownloadManager}. */
export interface DownloadManagerOptions {
  registry: Registry;
  session: TrackerSession;
  catalog: LocalCatalog;
  shares: ShareManager;
  seederAddr: string;
  workers: number;
  cwd: string;
  onNotice(line: string): void;
  /** A download waiting this long for peers fails (0: never). @default 0 */
  giveUpAfterMs?: number;
  /** Corrupt pieces that ban a peer from a download. @default 3 */
  banAfterCorrupt?: number;
}

/** How often running downloads ask the tracker for its current peers. */
const PEER_REFRESH_FROM_TRACKER_MS = 2000;
/** A download asks for fresh peers on its own at most this often. */
const PEERS_LOW_MIN_GAP_MS = 1000;

interface Active {
  record: DownloadRecord;
  download: Download;
  finished: Promise<void>;
}

/** Starts, resumes, lists and waits for downloads. */
export class DownloadManager {
  #o: DownloadManagerOptions;
  #active = new Map<number, Active>();
  /** Downloads started or resumed since the last `wait`, which reports them. */
  #unreported = new Set<number>();
  #closing = false;
  /** How downloads that ended in this run ended, peers included. */
  #ended = new Map<number, DownloadProgress>();
  /** The final piece map of each download that ended in this run, for the dashboard. */
  #endedMaps = new Map<number, PieceMap>();
  /** One pool of piece workers for every download, started with the first. */
  #pool: WorkerPool | undefined;
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  /** Downloads the user cancelled: they end as cancelled, not resumed. */
  #cancelled = new Set<number>();
  /** When each download last asked for fresh peers on its own. */
  #askedMs = new Map<number, number>();

  /** @param options the registry, session, catalog, shares and seeder address */
  constructor(options: DownloadManagerOptions) {
    this.#o = options;
  }

  /**
   * Starts downloading a file of a group.
   * @param destination a directory (the file keeps its name) or a new file path
   * @returns the new download's view
   * @throws {AppError} the tracker's error, NOT_FOUND (no such directory), ALREADY_EXISTS,
   *   UNAVAILABLE (no peer holds it)
   */
  async start(group: string, name: string, destination: string): Promise<DownloadView> {
    const user = this.#o.session.user;
    if (user === undefined) throw new AppError("NOT_LOGGED_IN", "Log in first");
    const dest = await resolveDestination(destination, name, this.#o.cwd);
    for (const a of this.#active.values()) {
      if (a.record.dest === dest) {
        throw new AppError("CONFLICT", `A download to ${dest} is already running`);
      }
    }
    const reply = await this.#o.session.call("download_file", { group, name });
    const peers = this.#peersOf(reply.peers);
    const id = this.#o.registry.addDownload({
      user,
      group,
      name,
      dest,
      manifest: reply.manifest,
      startedMs: Date.now(),
    });
    const record = this.#o.registry.downloads().find((d) => d.id === id)!;
    this.#launch(record, peers, certsOf(reply.peers), reply.ticket);
    return this.#view(record);
  }

  /** Resumes this user's downloads the registry still lists as running; refreshes peers. */
  async resumePending(user: string): Promise<void> {
    await this.#refreshPeers();
    for (const record of this.#o.registry.downloads()) {
      if (record.state !== "running" || record.user !== user || this.#active.has(record.id)) {
        continue;
      }
      try {
        const reply = await this.#o.session.call("download_file", {
          group: record.group,
          name: record.name,
        });
        if (reply.manifest.fileHash !== record.manifest.fileHash) {
          throw new AppError("CONFLICT", "The file's content changed on the tracker");
        }
        if (this.#active.has(record.id)) continue;
        const peers = this.#peersOf(reply.peers);
        this.#o.onNotice(`notice: resuming download of ${record.group}/${record.name}`);
        this.#launch(record, peers, certsOf(reply.peers), reply.ticket);
      } catch (error) {
        if (this.#closing) return;
        // No live peer now: it stays pending and the next refresh tries again.
        if (error instanceof AppError && error.code === "UNAVAILABLE") continue;
        const message = error instanceof Error ? error.message : String(error);
        this.#o.registry.finishDownload(record.id, "failed", message);
        this.#o.onNotice(`notice: cannot resume ${record.group}/${record.name}: ${message}`);
      }
    }
  }

  /** @returns a download's piece map, for the dashboard; undefined when it has not run since start */
  pieceMap(id: number): PieceMap | undefined {
    return this.#active.get(id)?.download.pieceMap() ?? this.#endedMaps.get(id);
  }

  /**
   * Starts a failed download again into the same destination, keeping its verified pieces.
   * @returns its view
   * @throws {AppError} NOT_FOUND (no such download), CONFLICT (not failed), the tracker's errors
   */
  async retry(id: number): Promise<DownloadView> {
    const record = this.#o.registry.downloads().find((d) => d.id === id);
    if (record === undefined) {
      throw new AppError("NOT_FOUND", `No download ${id}; see show_downloads`);
    }
    if (record.state !== "failed") {
      throw new AppError(
        "CONFLICT",
        `Download ${id} is ${record.state}; only a failed one retries`,
      );
    }
    const dest = await resolveDestination(record.dest, record.name, "/");
    const reply = await this.#o.session.call("download_file", {
      group: record.group,
      name: record.name,
    });
    if (reply.manifest.fileHash !== record.manifest.fileHash) {
      throw new AppError("CONFLICT", `"${record.name}" now has other content; download it anew`);
    }
    const peers = this.#peersOf(reply.peers);
    this.#o.registry.restartDownload(id, Date.now());
    this.#ended.delete(id);
    const restarted = { ...record, dest, state: "running" as const, error: null };
    this.#launch(restarted, peers, certsOf(reply.peers), reply.ticket);
    return this.#view(this.#o.registry.downloads().find((d) => d.id === id)!);
  }

  /** Forgets the downloads that completed or failed; @returns how many */
  clearFinished(): number {
    for (const record of this.#o.registry.downloads()) {
      if (record.state !== "running") this.#ended.delete(record.id);
    }
    return this.#o.registry.clearFinishedDownloads();
  }

  /** @returns every download this client knows, oldest first */
  list(): DownloadView[] {
    return this.#o.registry.downloads().map((r) => this.#view(r));
  }

  /**
   * Waits until no download is running.
   * @returns the downloads started or resumed since the last wait, as they ended
   */
  async waitAll(): Promise<DownloadView[]> {
    while (this.#active.size > 0) {
      await Promise.all([...this.#active.values()].map((a) => a.finished));
    }
    const ids = [...this.#unreported];
    this.#unreported.clear();
    const byId = new Map(this.list().map((v) => [v.id, v]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** Stops every running download, keeping what was verified for the next start. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#refreshTimer);
    await Promise.all([...this.#active.values()].map((a) => a.download.cancel().catch(() => {})));
    await this.#pool?.close();
  }

  /**
   * Cancels a running download of this user: it ends as cancelled, its
   * `.part` file is removed and it is no longer resumed.
   * @returns its view once it has stopped
   * @throws {AppError} NOT_FOUND when no such download runs
   */
  async cancel(group: string, name: string): Promise<DownloadView> {
    const user = this.#o.session.user;
    const active = [...this.#active.values()].find((a) =>
      a.record.group === group && a.record.name === name && a.record.user === user
    );
    if (active === undefined) {
      // One still waiting to be resumed (no live peer yet) ends here too.
      const waiting = this.#o.registry.downloads().find((d) =>
        d.state === "running" && d.group === group && d.name === name && d.user === user
      );
      if (waiting === undefined) {
        throw new AppError("NOT_FOUND", `No download of ${group}/${name} is running`);
      }
      this.#o.registry.finishDownload(waiting.id, "failed", "cancelled by the user");
      await Deno.remove(`${waiting.dest}.part`).catch(() => {});
      this.#o.onNotice(`notice: download of ${group}/${name} cancelled`);
      return this.#view(this.#o.registry.downloads().find((d) => d.id === waiting.id)!);
    }
    this.#cancelled.add(active.record.id);
    await active.download.cancel();
    await active.finished;
    await Deno.remove(`${active.record.dest}.part`).catch(() => {});
    return this.#view(this.#o.registry.downloads().find((d) => d.id === active.record.id)!);
  }

  /** Tells running downloads the peers the tracker lists now; resumes those that waited. */
  async #tick(): Promise<void> {
    await Promise.all([...this.#active.values()].map((a) => this.#refreshOne(a)));
    const user = this.#o.session.user;
    const pending = this.#o.registry.downloads().some((d) =>
      d.state === "running" && d.user === user && !this.#active.has(d.id)
    );
    if (user !== undefined && pending) await this.resumePending(user);
  }

  async #refreshPeers(): Promise<void> {
    await Promise.all([...this.#active.values()].map((a) => this.#refreshOne(a)));
  }

  async #refreshOne({ record, download }: Active): Promise<void> {
    try {
      const reply = await this.#o.session.call("download_file", {
        group: record.group,
        name: record.name,
      });
      if (reply.manifest.fileHash === record.manifest.fileHash) {
        download.setPeers(this.#peersOf(reply.peers), certsOf(reply.peers));
      }
    } catch (error) {
      // No live peer at all: those it had have left. Other errors change nothing.
      if (error instanceof AppError && error.code === "UNAVAILABLE") download.setPeers([]);
    }
  }

  /** A download runs low on peers: asks the tracker now, at most once a second. */
  #peersLow(active: Active): void {
    const now = Date.now();
    if (now - (this.#askedMs.get(active.record.id) ?? 0) < PEERS_LOW_MIN_GAP_MS) return;
    this.#askedMs.set(active.record.id, now);
    void this.#refreshOne(active);
  }

  /**
   * A fresh ticket for a running download, asked of the tracker (which refuses
   * a user who is no longer a member); the peers that come with it join in.
   */
  async #renewTicket(record: DownloadRecord, download: Download): Promise<string> {
    const reply = await this.#o.session.call("download_file", {
      group: record.group,
      name: record.name,
    });
    if (reply.manifest.fileHash !== record.manifest.fileHash) {
      throw new AppError("NOT_FOUND", `"${record.name}" now has other content on the tracker`);
    }
    download.setPeers(this.#peersOf(reply.peers), certsOf(reply.peers));
    return reply.ticket;
  }

  /** The peers to download from: every live one but this client itself. */
  #peersOf(peers: { addr: string }[]): string[] {
    return [...new Set(peers.map((p) => p.addr))].filter((a) => a !== this.#o.seederAddr);
  }

  #launch(
    record: DownloadRecord,
    peers: string[],
    peerCerts: Record<string, string>,
    ticket: string,
  ): void {
    const what = `${record.group}/${record.name}`;
    const download: Download = startDownload({
      manifest: record.manifest,
      peers,
      peerCerts,
      ticket,
      renewTicket: () => this.#renewTicket(record, download),
      destPath: record.dest,
      pool: this.#pool ??= createWorkerPool(this.#o.workers),
      giveUpAfterMs: this.#o.giveUpAfterMs ?? 0,
      spread: true,
      banAfterCorrupt: this.#o.banAfterCorrupt ?? 3,
      onPeerBanned: (addr, reason) => this.#o.onNotice(`notice: ${what}: peer ${addr} ${reason}`),
      onPeersLow: () => {
        const active = this.#active.get(record.id);
        if (active !== undefined) this.#peersLow(active);
      },
      onPieceVerified: (index) => this.#o.catalog.pieceVerified(record.manifest.fileHash, index),
    });
    this.#refreshTimer ??= setInterval(() => {
      this.#tick().catch(() => {});
    }, PEER_REFRESH_FROM_TRACKER_MS);
    // Announced as a partial peer at once, so other downloaders find its pieces.
    this.#o.shares.announcePartial(record.group, record.name, record.manifest).catch(() => {});
    this.#o.catalog.addPartial(record.id, {
      path: `${record.dest}.part`,
      manifest: record.manifest,
      group: record.group,
      hasPiece: (i) => download.hasPiece(i),
    });
    const finished = download.done.then(
      (progress) => {
        this.#ended.set(record.id, progress);
        this.#endedMaps.set(record.id, download.pieceMap());
        return this.#finish(record, progress.state, progress.error ?? null);
      },
      (error) => this.#finish(record, "failed", error instanceof Error ? error.message : "failed"),
    );
    this.#active.set(record.id, { record, download, finished });
    this.#unreported.add(record.id);
  }

  async #finish(record: DownloadRecord, state: DownloadState, error: string | null) {
    this.#o.catalog.removePartial(record.id);
    this.#askedMs.delete(record.id);
    const cancelled = this.#cancelled.delete(record.id);
    if (this.#closing && state !== "complete" && !cancelled) {
      this.#active.delete(record.id);
      return; // stopped by quit: stays "running" in the registry and resumes next time
    }
    const finalState = state === "complete" ? "complete" : "failed";
    const why = cancelled ? "cancelled by the user" : error;
    this.#o.registry.finishDownload(record.id, finalState, finalState === "failed" ? why : null);
    this.#active.delete(record.id);
    if (this.#active.size === 0) {
      clearInterval(this.#refreshTimer);
      this.#refreshTimer = undefined;
    }
    const what = `${record.group}/${record.name}`;
    if (finalState === "failed") {
      this.#o.shares.withdrawPartial(record.group, record.name).catch(() => {});
      this.#o.onNotice(
        cancelled
          ? `notice: download of ${what} cancelled`
          : `notice: download of ${what} failed: ${error ?? "unknown error"}`,
      );
      return;
    }
    this.#o.onNotice(`notice: download of ${what} complete: ${record.dest}`);
    await this.#o.shares.addCompleted({
      user: record.user,
      group: record.group,
      name: record.name,
      path: record.dest,
      manifest: record.manifest,
    });
  }

  #view(record: DownloadRecord): DownloadView {
    const live = this.#active.get(record.id)?.download.progress() ?? this.#ended.get(record.id);
    return downloadView(record, live, this.#active.has(record.id));
  }
}
