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
import type { Manifest } from "../../protocol/manifest.ts";
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
import type { TrackerSession } from "../session/tracker_session.ts";

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
}

/** A download as `show_downloads` reports it. */
export interface DownloadView {
  id: number;
  group: string;
  name: string;
  dest: string;
  state: DownloadState;
  error: string | null;
  size: number;
  bytesDone: number;
  piecesDone: number;
  pieces: number;
  percent: number;
  /** Pieces found already verified on disk when the download (re)started. */
  piecesResumed: number;
  rateBytesPerSec: number;
  peers: DownloadProgress["peers"];
  /** Peers it is fetching from right now. */
  activePeers: number;
  /** Time since it started, or from start to end once finished. */
  elapsedMs: number;
  /** Size over elapsed time once complete; null otherwise. */
  averageBytesPerSec: number | null;
}

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
    const peers = this.#peersOf(reply.peers, reply.manifest, name);
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
        const peers = this.#peersOf(reply.peers, record.manifest, record.name);
        this.#o.onNotice(`notice: resuming download of ${record.group}/${record.name}`);
        this.#launch(record, peers, certsOf(reply.peers), reply.ticket);
      } catch (error) {
        if (this.#closing) return;
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
    const peers = this.#peersOf(reply.peers, record.manifest, record.name);
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
    await Promise.all([...this.#active.values()].map((a) => a.download.cancel().catch(() => {})));
    await this.#pool?.close();
  }

  /** Tells running downloads about peers that appeared since they started. */
  async #refreshPeers(): Promise<void> {
    for (const { record, download } of [...this.#active.values()]) {
      try {
        const reply = await this.#o.session.call("download_file", {
          group: record.group,
          name: record.name,
        });
        const addrs = reply.peers.map((p) => p.addr).filter((a) => a !== this.#o.seederAddr);
        if (reply.manifest.fileHash === record.manifest.fileHash) {
          download.setPeers(addrs, certsOf(reply.peers));
        }
      } catch {
        // the download carries on with the peers it has
      }
    }
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
    download.setPeers(
      reply.peers.map((p) => p.addr).filter((a) => a !== this.#o.seederAddr),
      certsOf(reply.peers),
    );
    return reply.ticket;
  }

  #peersOf(peers: { addr: string }[], manifest: Manifest, name: string): string[] {
    const addrs = [...new Set(peers.map((p) => p.addr))].filter((a) => a !== this.#o.seederAddr);
    if (addrs.length === 0 && manifest.size > 0) {
      throw new AppError("UNAVAILABLE", `No peer is sharing "${name}" right now`);
    }
    return addrs;
  }

  #launch(
    record: DownloadRecord,
    peers: string[],
    peerCerts: Record<string, string>,
    ticket: string,
  ): void {
    const download: Download = startDownload({
      manifest: record.manifest,
      peers,
      peerCerts,
      ticket,
      renewTicket: () => this.#renewTicket(record, download),
      destPath: record.dest,
      pool: this.#pool ??= createWorkerPool(this.#o.workers),
    });
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
    if (this.#closing && state !== "complete") {
      this.#active.delete(record.id);
      return; // stopped by quit: stays "running" in the registry and resumes next time
    }
    const finalState = state === "complete" ? "complete" : "failed";
    this.#o.registry.finishDownload(record.id, finalState, finalState === "failed" ? error : null);
    this.#active.delete(record.id);
    const what = `${record.group}/${record.name}`;
    if (finalState === "failed") {
      this.#o.onNotice(`notice: download of ${what} failed: ${error ?? "unknown error"}`);
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
    const m = record.manifest;
    const done = record.state === "complete";
    const bytesDone = live?.bytesDone ?? (done ? m.size : 0);
    const piecesDone = live?.piecesDone ?? (done ? m.pieceHashes.length : 0);
    const elapsedMs = Math.max(0, (record.finishedMs ?? Date.now()) - record.startedMs);
    const peers = live?.peers ?? [];
    return {
      id: record.id,
      group: record.group,
      name: record.name,
      dest: record.dest,
      state: record.state,
      error: record.error,
      size: m.size,
      bytesDone,
      piecesDone,
      pieces: m.pieceHashes.length,
      percent: m.size === 0 ? (done ? 100 : 0) : Math.floor((bytesDone / m.size) * 100),
      piecesResumed: live?.piecesResumed ?? 0,
      rateBytesPerSec: live?.rateBytesPerSec ?? 0,
      peers,
      activePeers: record.state === "running"
        ? peers.filter((p) => p.state === "active").length
        : 0,
      elapsedMs,
      averageBytesPerSec: done && elapsedMs > 0 ? Math.round(m.size / (elapsedMs / 1000)) : null,
    };
  }
}

/** Each TLS peer's certificate by its address. */
function certsOf(peers: { addr: string; cert?: string }[]): Record<string, string> {
  const certs: Record<string, string> = {};
  for (const peer of peers) if (peer.cert !== undefined) certs[peer.addr] = peer.cert;
  return certs;
}
