/**
 * The client's local registry: a SQLite file in its data directory that keeps
 * what must survive a restart: the session (user and token; never the password),
 * the cluster key pinned at the first login, the files this client shares,
 * and its downloads with their state.
 */
import { DatabaseSync } from "node:sqlite";
import { preparePrivateDatabase } from "../../protocol/private_files.ts";
import type { Manifest } from "../../protocol/manifest.ts";
import { renameRegistryFileIds } from "./registry_migration.ts";
import type { SessionRecord } from "../session/tracker_session.ts";

export type { SessionRecord };

/** A file this client shares in a group. */
export interface ShareRecord {
  user: string;
  group: string;
  name: string;
  path: string;
  manifest: Manifest;
}

/** Where a download stands. */
export type DownloadState = "running" | "complete" | "failed";

/** A download as the registry keeps it. */
export interface DownloadRecord {
  id: number;
  user: string;
  group: string;
  name: string;
  /** Final path of the file. */
  dest: string;
  manifest: Manifest;
  state: DownloadState;
  error: string | null;
  startedMs: number;
  /** When it completed or failed; null while it runs. */
  finishedMs: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS session (
  k INTEGER PRIMARY KEY CHECK (k = 1), user TEXT NOT NULL, token TEXT);
CREATE TABLE IF NOT EXISTS trust (
  k INTEGER PRIMARY KEY CHECK (k = 1), cluster_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shares (
  user TEXT NOT NULL, grp TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL,
  manifest TEXT NOT NULL, PRIMARY KEY (user, grp, name));
CREATE TABLE IF NOT EXISTS downloads (
  id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, grp TEXT NOT NULL,
  name TEXT NOT NULL, dest TEXT NOT NULL, manifest TEXT NOT NULL, state TEXT NOT NULL,
  error TEXT, started_ms INTEGER NOT NULL);
`;

type Row = Record<string, unknown>;

/** The registry of one client. */
export class Registry {
  #db: DatabaseSync;

  /**
   * Opens (or creates) the registry file. It holds the session token: it
   * and its WAL and SHM files are readable by their owner only (0600).
   * @param path the SQLite file, e.g. `<data-dir>/client.db`
   */
  constructor(path: string) {
    preparePrivateDatabase(path);
    this.#db = new DatabaseSync(path);
    // secure_delete: a token forgotten at logout is overwritten, not left in a free page.
    this.#db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;",
    );
    this.#db.exec(SCHEMA);
    renameRegistryFileIds(this.#db); // a registry from before file ids were hashes of piece hashes
    // Registries made before downloads kept their end time gain the column.
    const columns = this.#db.prepare("PRAGMA table_info(downloads)").all() as Row[];
    if (!columns.some((c) => c["name"] === "finished_ms")) {
      this.#db.exec("ALTER TABLE downloads ADD COLUMN finished_ms INTEGER");
    }
  }

  /** Closes the file. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** @returns the cached session, if any */
  session(): SessionRecord | undefined {
    const row = this.#db.prepare("SELECT user, token FROM session WHERE k = 1").get() as
      | Row
      | undefined;
    if (row === undefined) return undefined;
    return {
      user: String(row["user"]),
      token: row["token"] as string | null,
    };
  }

  /** Stores the session after a login or a refreshed token. */
  saveSession(session: SessionRecord): void {
    this.#db.prepare(
      "INSERT OR REPLACE INTO session (k, user, token) VALUES (1, ?, ?)",
    ).run(session.user, session.token);
  }

  /** Forgets the session (logout). */
  clearSession(): void {
    this.#db.exec("DELETE FROM session");
  }

  /** @returns the cluster key pinned at the first login, if any */
  pinnedClusterKey(): string | undefined {
    const row = this.#db.prepare("SELECT cluster_key FROM trust WHERE k = 1").get() as
      | Row
      | undefined;
    return row === undefined ? undefined : String(row["cluster_key"]);
  }

  /** Pins the cluster key; a logout keeps it, so trackers are checked against it ever after. */
  pinClusterKey(key: string): void {
    this.#db.prepare("INSERT OR REPLACE INTO trust (k, cluster_key) VALUES (1, ?)").run(key);
  }

  /** Records (or replaces) a share. */
  putShare(share: ShareRecord): void {
    this.#db.prepare(
      "INSERT OR REPLACE INTO shares (user, grp, name, path, manifest) VALUES (?, ?, ?, ?, ?)",
    ).run(share.user, share.group, share.name, share.path, JSON.stringify(share.manifest));
  }

  /** Removes a share; @returns whether there was one */
  deleteShare(user: string, group: string, name: string): boolean {
    const result = this.#db.prepare("DELETE FROM shares WHERE user = ? AND grp = ? AND name = ?")
      .run(user, group, name);
    return Number(result.changes) > 0;
  }

  /** Removes every share of a user in a group (after leaving it). */
  deleteGroupShares(user: string, group: string): void {
    this.#db.prepare("DELETE FROM shares WHERE user = ? AND grp = ?").run(user, group);
  }

  /** @returns every share, or one user's */
  shares(user?: string): ShareRecord[] {
    const rows =
      (user === undefined
        ? this.#db.prepare("SELECT * FROM shares ORDER BY grp, name").all()
        : this.#db.prepare("SELECT * FROM shares WHERE user = ? ORDER BY grp, name").all(
          user,
        )) as Row[];
    return rows.map((r) => ({
      user: String(r["user"]),
      group: String(r["grp"]),
      name: String(r["name"]),
      path: String(r["path"]),
      manifest: JSON.parse(String(r["manifest"])) as Manifest,
    }));
  }

  /** Records a new running download; @returns its id */
  addDownload(d: Omit<DownloadRecord, "id" | "state" | "error" | "finishedMs">): number {
    const result = this.#db.prepare(
      "INSERT INTO downloads (user, grp, name, dest, manifest, state, error, started_ms) " +
        "VALUES (?, ?, ?, ?, ?, 'running', NULL, ?)",
    ).run(d.user, d.group, d.name, d.dest, JSON.stringify(d.manifest), d.startedMs);
    return Number(result.lastInsertRowid);
  }

  /** Sets a download's final state. */
  finishDownload(
    id: number,
    state: DownloadState,
    error: string | null,
    finishedMs = Date.now(),
  ): void {
    this.#db.prepare("UPDATE downloads SET state = ?, error = ?, finished_ms = ? WHERE id = ?")
      .run(state, error, finishedMs, id);
  }

  /** Sets a finished download running again, from `startedMs`. */
  restartDownload(id: number, startedMs: number): void {
    this.#db.prepare(
      "UPDATE downloads SET state = 'running', error = NULL, started_ms = ?, finished_ms = NULL " +
        "WHERE id = ?",
    ).run(startedMs, id);
  }

  /** Forgets the downloads that are no longer running; @returns how many */
  clearFinishedDownloads(): number {
    const result = this.#db.prepare("DELETE FROM downloads WHERE state != 'running'").run();
    return Number(result.changes);
  }

  /** @returns every download, oldest first */
  downloads(): DownloadRecord[] {
    const rows = this.#db.prepare("SELECT * FROM downloads ORDER BY id").all() as Row[];
    return rows.map((r) => ({
      id: Number(r["id"]),
      user: String(r["user"]),
      group: String(r["grp"]),
      name: String(r["name"]),
      dest: String(r["dest"]),
      manifest: JSON.parse(String(r["manifest"])) as Manifest,
      state: String(r["state"]) as DownloadState,
      error: r["error"] === null ? null : String(r["error"]),
      startedMs: Number(r["started_ms"]),
      finishedMs: r["finished_ms"] === null || r["finished_ms"] === undefined
        ? null
        : Number(r["finished_ms"]),
    }));
  }
}
