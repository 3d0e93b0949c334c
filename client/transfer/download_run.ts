/**
 * One download's main-thread side: checks that the manifest's id is proven by
 * its piece hashes, prepares the `.part` file, re-verifies what an earlier
 * run left in it, probes peers for what they hold, hands the picker's
 * assignments to the worker pool, and renames the file once every piece is
 * verified: the workers hash each piece as it arrives, and those hashes prove
 * the whole file, so it is never read again. See client/downloader.ts for the
 * files it leaves behind.
 */
import { checkFileId, pieceLength } from "../../protocol/manifest.ts";
import type { DownloadProgress, ResolvedDownloadOptions } from "./download_types.ts";
import { PartFile } from "./part_file.ts";
import { PiecePicker } from "./piece_picker.ts";
import { type PieceMap, PieceSources } from "./piece_map.ts";
import { PeerWait } from "./peer_wait.ts";
import { fetchesOf, peerTaskFields, pieceTaskFields, relist, type TaskInfo } from "./run_tasks.ts";
import { RateMeter } from "./rate_meter.ts";
import { TicketKeeper } from "./ticket_keeper.ts";
import { createWorkerPool, type WorkerPool } from "./worker_pool.ts";
import type { TaskReply, WorkerTask } from "./worker_messages.ts";
import {
  DOWNLOAD_RATE_WINDOW_MS,
  MIN_REQUESTS_IN_FLIGHT,
  PEER_RETRY_MS,
  REQUESTED_BYTES_MAX,
} from "./config.ts";

const LOW_PEERS = 4; // fewer usable peers than this: ask the tracker for more at once

/** The state of one download; created and driven by `startDownload`. */
export class DownloadRun {
  #o: ResolvedDownloadOptions;
  #partPath: string;
  #picker: PiecePicker;
  #state: DownloadProgress["state"] = "running";
  #error: string | undefined;
  #part: PartFile | null = null;
  #pool: WorkerPool | null = null;
  #jobId = 0;
  #tasks = new Map<number, TaskInfo>();
  #nextTaskId = 1;
  #fetching = 0;
  #probing = new Set<string>();
  #peers: string[] = [];
  /** The certificate each TLS peer announced; the latest wins. */
  #peerCerts = new Map<string, string>();
  #stopped = Promise.withResolvers<void>();
  #verifyQueue: number[] = [];
  #verifying = 0;
  #verified = Promise.withResolvers<void>();
  #fetchStarted = false;
  #bytesDone = 0;
  #resumedBytes = 0;
  #piecesResumed = 0;
  #meter = new RateMeter(DOWNLOAD_RATE_WINDOW_MS);
  #startMs = 0;
  #endMs = 0;
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  #wait: PeerWait;
  #tickets: TicketKeeper;
  #sources: PieceSources;

  /** @param options every option resolved */
  constructor(options: ResolvedDownloadOptions) {
    this.#o = options;
    this.#partPath = `${options.destPath}.part`;
    const pieceCount = options.manifest.pieceHashes.length;
    this.#sources = new PieceSources(pieceCount);
    this.#picker = new PiecePicker({
      pieceCount,
      maxTries: options.maxTries,
      peerMaxFailures: options.peerMaxFailures,
      banAfterCorrupt: options.banAfterCorrupt,
      shuffle: options.spread,
      pieceBytes: options.manifest.pieceSize,
    });
    this.#wait = new PeerWait({
      stallMs: options.stallTimeoutMs,
      giveUpMs: options.giveUpAfterMs,
      onPeersLow: options.onPeersLow,
      onGiveUp: (message) => this.#fail(message),
    });
    this.#tickets = new TicketKeeper(options.ticket, options.renewTicket, (m) => this.#fail(m));
    this.addPeers(options.peers, options.peerCerts);
  }

  /**
   * Runs the download to its end.
   * @returns the final progress; never rejects
   */
  async run(): Promise<DownloadProgress> {
    try {
      checkFileId(this.#o.manifest); // before any byte is fetched
      const opened = await PartFile.open(this.#partPath, this.#o.manifest.size);
      this.#part = opened.part;
      const { existingBytes } = opened;
      if (this.#picker.pieceCount > 0 && this.#state === "running") {
        this.#pool = this.#o.pool ?? createWorkerPool(this.#o.workers);
        this.#jobId = this.#pool.newJobId();
        this.#pool.listen(this.#jobId, (reply, giveBack) => this.#onReply(reply, giveBack));
        await this.#resume(existingBytes);
        this.#startFetching();
        await this.#stopped.promise;
      }
      if (this.#state === "running") await this.#complete();
    } catch (error) {
      this.#fail(error instanceof Error ? error.message : String(error));
    } finally {
      await this.#cleanup();
    }
    return this.progress();
  }

  /** @returns the current progress */
  progress(): DownloadProgress {
    const peers = this.#picker.peers().map((p) => ({
      addr: p.id,
      state: this.#picker.dropReasonOf(p.id) ?? "active" as const,
      ...(p.reason === undefined ? {} : { reason: p.reason }),
      bytes: p.bytes,
    }));
    return {
      state: this.#state,
      ...(this.#error !== undefined ? { error: this.#error } : {}),
      piecesDone: this.#picker.doneCount,
      pieces: this.#picker.pieceCount,
      piecesResumed: this.#piecesResumed,
      bytesDone: this.#bytesDone,
      size: this.#o.manifest.size,
      rateBytesPerSec: this.#rate(),
      waiting: this.#state === "running" && this.#wait.waiting,
      peers,
    };
  }

  /** @returns which pieces are done, in flight, and from which peer */
  pieceMap(): PieceMap {
    const inFlight = [...this.#tasks.values()].flatMap((t) => t.kind === "fetch" ? [t.index] : []);
    return this.#sources.render(inFlight);
  }

  /** @returns true when piece `index` is verified on disk */
  hasPiece(index: number): boolean {
    return this.#picker.isDone(index);
  }

  /** Stops the download; `run()` then cleans up and resolves as failed. */
  cancel(): void {
    this.#fail("Download cancelled");
  }

  /** The tracker's current peers: new ones join, listed unreachable ones retry, others left. */
  setPeers(addrs: string[], peerCerts: Record<string, string> = {}): void {
    const { left, revived } = relist(this.#picker, addrs, performance.now(), PEER_RETRY_MS);
    for (const peer of left) this.#pool?.dropPeer(peer);
    for (const peer of revived) this.#probe(peer);
    this.addPeers(addrs, peerCerts);
    this.#schedule();
  }

  /** Adds peers not known yet and, once fetching, asks them what they hold. */
  addPeers(addrs: string[], peerCerts: Record<string, string> = {}): void {
    for (const [addr, cert] of Object.entries(peerCerts)) this.#peerCerts.set(addr, cert);
    const empty = new Uint8Array(Math.ceil(this.#picker.pieceCount / 8));
    for (const addr of addrs) {
      if (this.#peers.includes(addr)) continue;
      this.#peers.push(addr);
      this.#picker.setPeerPieces(addr, empty);
      if (this.#fetchStarted) this.#probe(addr);
    }
  }

  /** Re-verifies the pieces an earlier run left in the `.part` file. */
  async #resume(existingBytes: number): Promise<void> {
    const { manifest } = this.#o;
    for (let i = 0; i < this.#picker.pieceCount; i++) {
      if (i * manifest.pieceSize + pieceLength(manifest, i) <= existingBytes) {
        this.#verifyQueue.push(i);
      }
    }
    this.#pumpVerify();
    await this.#verified.promise;
  }

  #pumpVerify(): void {
    while (
      this.#state === "running" && this.#verifying < this.#slots() && this.#verifyQueue.length > 0
    ) {
      const index = this.#verifyQueue.shift()!;
      this.#verifying++;
      this.#submit({ kind: "verify", index }, (taskId) => ({
        type: "verify",
        ...this.#pieceTask(taskId, index),
      }));
    }
    if (this.#verifying === 0 || this.#state !== "running") this.#verified.resolve();
  }

  #startFetching(): void {
    if (this.#state !== "running") return;
    this.#fetchStarted = true;
    this.#startMs = performance.now();
    if (this.#picker.isComplete()) return this.#stopped.resolve();
    this.#tickets.start();
    for (const peer of this.#peers) this.#probe(peer);
    this.#refreshTimer = setInterval(() => this.#refresh(), this.#o.peerRefreshMs);
    this.#schedule();
  }

  #probe(peer: string): void {
    const busy = this.#probing.has(peer) || this.#picker.isDropped(peer);
    if (this.#state !== "running" || !this.#fetchStarted || busy) return;
    this.#probing.add(peer);
    this.#submit({ kind: "probe", peer }, (taskId) => ({
      type: "probe",
      jobId: this.#jobId,
      taskId,
      ...this.#peerOf(peer),
    }));
  }

  #refresh(): void {
    for (const peer of this.#picker.peers()) {
      if (!peer.dropped && !peer.holdsAll) this.#probe(peer.id);
    }
    if (this.#wait.waiting || this.#picker.activePeerCount() < LOW_PEERS) this.#o.onPeersLow?.();
    this.#schedule(); // a late piece may now be worth a second copy
  }

  #pieceTask = (taskId: number, index: number) =>
    pieceTaskFields(this.#jobId, taskId, this.#partPath, this.#o.manifest, index);

  #peerOf(peer: string) {
    const { fileHash } = this.#o.manifest;
    const cert = this.#peerCerts.get(peer);
    return peerTaskFields(peer, cert, fileHash, this.#tickets.current, this.#o.pieceTimeoutMs);
  }

  #slots(): number {
    const byBytes = Math.floor(REQUESTED_BYTES_MAX / this.#o.manifest.pieceSize);
    const byPool = (this.#pool?.size ?? 1) * this.#o.requestsPerWorker;
    return Math.min(byPool, Math.max(MIN_REQUESTS_IN_FLIGHT, byBytes));
  }

  #submit(info: TaskInfo, task: (taskId: number) => WorkerTask): void {
    const taskId = this.#nextTaskId++;
    this.#tasks.set(taskId, info);
    this.#pool!.submit(task(taskId));
  }

  #schedule(): void {
    if (this.#state !== "running" || !this.#fetchStarted) return;
    if (this.#picker.isComplete()) return this.#stopped.resolve();
    const slots = this.#slots();
    while (this.#fetching < slots) {
      const next = this.#picker.pick(slots, performance.now());
      if (next === null) break;
      const { index, peer } = next;
      this.#fetching++;
      this.#submit({ kind: "fetch", index, peer }, (taskId) => ({
        type: "fetch",
        ...this.#pieceTask(taskId, index),
        ...this.#peerOf(peer),
      }));
    }
    this.#watchStall();
  }

  /**
   * Nothing in flight and nobody to ask: the download waits for peers (and
   * asks for fresh ones) instead of failing; only `giveUpAfterMs` ends it.
   */
  #watchStall(): void {
    if (this.#fetching > 0 || this.#probing.size > 0) {
      if (this.#fetching > 0) this.#wait.set(false);
      return;
    }
    this.#wait.set(true);
  }

  #onReply(reply: TaskReply, giveBack: (buffer: ArrayBuffer) => void): void {
    if (reply.type === "peer_have") {
      if (this.#state !== "running") return;
      this.#picker.peerHas(reply.peer, reply.index);
      return this.#schedule();
    }
    const info = this.#tasks.get(reply.taskId);
    this.#tasks.delete(reply.taskId);
    const release = reply.type === "piece" ? () => giveBack(reply.buffer) : () => {};
    if (info === undefined || (info.kind !== "fetch" && this.#state !== "running")) {
      return release();
    }
    if (info.kind === "verify") return this.#onVerified(info.index, reply, release);
    if (info.kind === "probe") return this.#onProbed(info.peer, reply);
    this.#fetching--;
    if (this.#state !== "running") return release();
    const now = performance.now();
    if (reply.type === "piece") {
      const data = new Uint8Array(reply.buffer, reply.dataOffset, reply.dataLength);
      const outcome = this.#picker.pieceDone(info.index, info.peer, data.length, now);
      this.#cancelCopies(info.index, outcome.cancel);
      if (outcome.fresh) {
        this.#sources.mark(info.index, info.peer);
        this.#bytesDone += data.length;
        this.#meter.add(now, data.length);
        this.#o.onPieceVerified?.(info.index);
      }
      release();
    } else if (reply.type === "failed") {
      if (reply.kind === "hash") this.#sources.hashFailed();
      const outcome = this.#picker.pieceFailed(info.index, info.peer, reply.kind, now);
      if (outcome.peerDropped) this.#pool!.dropPeer(info.peer);
      if (outcome.peerBanned) {
        const reason = this.#picker.peers().find((p) => p.id === info.peer)?.reason ?? "banned";
        this.#o.onPeerBanned?.(info.peer, reason);
      }
      if (outcome.exhausted) {
        return this.#fail(
          `Piece ${info.index} failed ${this.#o.maxTries} times; last: ${reply.message}`,
        );
      }
    }
    this.#schedule();
  }

  #onVerified(index: number, reply: TaskReply, release: () => void): void {
    this.#verifying--;
    if (reply.type === "piece" && this.#picker.pieceDone(index, null, reply.dataLength, 0).fresh) {
      this.#piecesResumed++;
      this.#sources.mark(index, null);
      this.#bytesDone += reply.dataLength;
      this.#resumedBytes += reply.dataLength;
    }
    release();
    this.#pumpVerify();
  }

  #onProbed(peer: string, reply: TaskReply): void {
    this.#probing.delete(peer);
    if (this.#state !== "running") return;
    const fits = reply.type === "have" && reply.pieceCount === this.#picker.pieceCount;
    if (reply.type === "have") {
      if (fits) this.#picker.setPeerPieces(peer, reply.bits);
      else this.#picker.dropPeer(peer);
    } else if (this.#picker.peerFailed(peer, performance.now())) {
      this.#pool!.dropPeer(peer);
    }
    this.#schedule();
  }

  /** The end-game's other copies of a piece just verified: cancelled on the wire, never counted. */
  #cancelCopies(index: number, peers: string[]): void {
    for (const taskId of fetchesOf(this.#tasks, index, peers)) {
      this.#pool!.cancel(this.#jobId, taskId);
    }
  }

  /** Every piece matched its hash, and the hashes prove the file: it is complete. */
  async #complete(): Promise<void> {
    if (this.#picker.doneCount !== this.#picker.pieceCount) {
      throw new Error(
        `Only ${this.#picker.doneCount} of ${this.#picker.pieceCount} pieces are verified`,
      );
    }
    if (this.#pool !== null) await this.#pool.closeJob(this.#jobId);
    this.#part?.close();
    await PartFile.moveInto(this.#partPath, this.#o.destPath);
    this.#endMs = performance.now();
    this.#state = "complete";
  }

  #fail(message: string): void {
    if (this.#state !== "running") return;
    this.#state = "failed";
    this.#error = message;
    this.#endMs = performance.now();
    this.#stopped.resolve();
    this.#verified.resolve();
  }

  async #cleanup(): Promise<void> {
    this.#tickets.stop();
    clearInterval(this.#refreshTimer);
    this.#wait.stop();
    if (this.#pool !== null) {
      await this.#pool.closeJob(this.#jobId);
      if (this.#o.pool === undefined) await this.#pool.close();
    }
    this.#part?.close();
  }

  #rate(): number {
    if (this.#state !== "complete") {
      const live = this.#state === "running" && this.#fetchStarted;
      return live ? this.#meter.bytesPerSec(performance.now(), this.#startMs) : 0;
    }
    const seconds = Math.max(1e-3, (this.#endMs - this.#startMs) / 1000);
    return Math.round((this.#bytesDone - this.#resumedBytes) / seconds);
  }
}
