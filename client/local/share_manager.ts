/**
 * The files this client shares: uploading (hash, announce, record),
 * stopping, and re-announcing every share after a login or a failover so the
 * tracker in use knows this client seeds them.
 */
import { basename, resolve } from "node:path";
import { AppError } from "../../protocol/errors.ts";
import type { Manifest } from "../../protocol/manifest.ts";
import type { TrackerReplies } from "../../protocol/tracker_messages.ts";
import { hashFile } from "../transfer/mod.ts";
import type { Registry, ShareRecord } from "./registry.ts";
import type { LocalCatalog } from "./share_catalog.ts";
import type { TrackerSession } from "../session/tracker_session.ts";

/** Options of {@link ShareManager}. */
export interface ShareManagerOptions {
  registry: Registry;
  session: TrackerSession;
  catalog: LocalCatalog;
  /** This client's seeder address, announced with every share. */
  seederAddr: string;
  /** This client's seeder certificate (PEM), announced with every share. @default none: plain TCP */
  seederCert?: string | undefined;
  /** Directory relative paths are resolved against. */
  cwd: string;
  onNotice(line: string): void;
}

/** Uploads, stops and re-announces this client's shares. */
export class ShareManager {
  #o: ShareManagerOptions;
  /** Size and modification time of each share when first checked, by group and name. */
  #stamps = new Map<string, { size: number; mtimeMs: number }>();

  /** @param options the registry, session, catalog and seeder address */
  constructor(options: ShareManagerOptions) {
    this.#o = options;
    this.#refreshCatalog();
  }

  /**
   * Shares a file with a group: hashes it, announces it, records it.
   * @returns the tracker's reply and the absolute path
   * @throws {AppError} NOT_FOUND, BAD_REQUEST (a directory), FORBIDDEN, CONFLICT
   */
  async upload(
    path: string,
    group: string,
  ): Promise<TrackerReplies["upload_file"] & { path: string; size: number }> {
    const user = this.#requireUser();
    const full = resolve(this.#o.cwd, path);
    const before = await fileStamp(full);
    const manifest = await hashFile(full, undefined, path).catch((error) => {
      throw reversedHint(error, path, group, resolve(this.#o.cwd, group));
    });
    const name = basename(full);
    if (before !== null) this.#stamps.set(`${group}\n${name}`, before);
    const reply = await this.#announce(group, name, manifest);
    this.#o.registry.putShare({ user, group, name, path: full, manifest });
    this.#refreshCatalog();
    return { ...reply, path: full, size: manifest.size };
  }

  /**
   * Records a finished download as a share and announces it.
   * @throws never: a failed announcement becomes a notice
   */
  async addCompleted(share: ShareRecord): Promise<void> {
    const stamp = await fileStamp(share.path);
    if (stamp !== null) this.#stamps.set(`${share.group}\n${share.name}`, stamp);
    this.#o.registry.putShare(share);
    this.#refreshCatalog();
    if (this.#o.session.user !== share.user) return;
    try {
      await this.#announce(share.group, share.name, share.manifest);
    } catch (error) {
      this.#o.onNotice(`notice: could not announce ${share.group}/${share.name}: ${text(error)}`);
    }
  }

  /**
   * Stops sharing a file: tells the tracker, then forgets it here.
   * @returns the tracker's reply
   */
  async stop(group: string, name: string): Promise<TrackerReplies["stop_share"]> {
    const user = this.#requireUser();
    const reply = await this.#o.session.call("stop_share", {
      group,
      name,
      addr: this.#o.seederAddr,
    });
    this.#o.registry.deleteShare(user, group, name);
    this.#refreshCatalog();
    return reply;
  }

  /** Forgets this user's shares in a group they left. */
  forgetGroup(group: string): void {
    const user = this.#o.session.user;
    if (user === undefined) return;
    this.#o.registry.deleteGroupShares(user, group);
    this.#refreshCatalog();
  }

  /** Announces every share of `user` again; failures become notices. */
  async announceAll(user: string): Promise<void> {
    for (const share of this.#o.registry.shares(user)) {
      if (this.#o.session.user !== user) return;
      if (!(await stillThere(share))) {
        this.#o.onNotice(`notice: ${share.path} changed or vanished; no longer sharing it`);
        this.#o.registry.deleteShare(user, share.group, share.name);
        this.#refreshCatalog();
        continue;
      }
      try {
        await this.#announce(share.group, share.name, share.manifest);
      } catch (error) {
        this.#o.onNotice(`notice: could not announce ${share.group}/${share.name}: ${text(error)}`);
      }
    }
  }

  /** Announces this client as a partial peer of a file it is downloading. */
  async announcePartial(group: string, name: string, manifest: Manifest): Promise<void> {
    await this.#announce(group, name, manifest, true);
  }

  /** Withdraws this client as a peer of a file whose download ended without completing. */
  async withdrawPartial(group: string, name: string): Promise<void> {
    await this.#o.session.call("stop_share", { group, name, addr: this.#o.seederAddr });
  }

  /**
   * Checks that every shared file is still as shared: one changed on disk
   * (size or modification time) would hand out corrupt pieces, so it stops
   * being shared and the user is told.
   */
  async checkFiles(): Promise<void> {
    const user = this.#o.session.user;
    if (user === undefined) return;
    for (const share of this.#o.registry.shares(user)) {
      const key = `${share.group}\n${share.name}`;
      const stamp = await fileStamp(share.path);
      const known = this.#stamps.get(key);
      if (known === undefined && stamp !== null && stamp.size === share.manifest.size) {
        this.#stamps.set(key, stamp);
        continue;
      }
      if (
        stamp !== null && known !== undefined && stamp.size === known.size &&
        stamp.mtimeMs === known.mtimeMs
      ) continue;
      this.#stamps.delete(key);
      this.#o.onNotice(
        `notice: ${share.path} changed on disk; no longer sharing ${share.group}/${share.name}`,
      );
      await this.stop(share.group, share.name).catch(() => {
        this.#o.registry.deleteShare(user, share.group, share.name);
        this.#refreshCatalog();
      });
    }
  }

  #announce(group: string, name: string, manifest: Manifest, partial = false) {
    return this.#o.session.call("upload_file", {
      group,
      name,
      addr: this.#o.seederAddr,
      ...(this.#o.seederCert === undefined ? {} : { cert: this.#o.seederCert }),
      manifest,
      ...(partial ? { partial: true as const } : {}),
    });
  }

  #requireUser(): string {
    const user = this.#o.session.user;
    if (user === undefined) throw new AppError("NOT_LOGGED_IN", "Log in first");
    return user;
  }

  #refreshCatalog(): void {
    this.#o.catalog.setShares(this.#o.registry.shares());
  }
}

async function fileStamp(path: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? { size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 } : null;
  } catch {
    return null;
  }
}

async function stillThere(share: ShareRecord): Promise<boolean> {
  try {
    const info = await Deno.stat(share.path);
    return info.isFile && info.size === share.manifest.size;
  } catch {
    return false;
  }
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `upload_file friends notes.txt`: the arguments are the wrong way round; say so. */
function reversedHint(error: unknown, path: string, group: string, groupAsPath: string): unknown {
  if (!(error instanceof AppError) || error.code !== "NOT_FOUND") return error;
  try {
    if (!Deno.statSync(groupAsPath).isFile) return error;
  } catch {
    return error;
  }
  return new AppError(
    "NOT_FOUND",
    `${error.message}; the file comes first: upload_file ${group} ${path}`,
  );
}
