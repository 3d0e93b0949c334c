import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileHashOf } from "../../protocol/manifest.ts";
import { Registry } from "./registry.ts";

const MANIFEST = {
  fileHash: "a".repeat(64),
  size: 3,
  pieceSize: 524288,
  pieceHashes: ["b".repeat(64)],
};

async function withRegistry(fn: (path: string) => void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "registry-test-" });
  try {
    fn(join(dir, "client.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Registry keeps the session, shares and downloads across reopening", async () => {
  await withRegistry((path) => {
    const first = new Registry(path);
    try {
      first.saveSession({ user: "alice", token: "t1" });
      first.putShare({
        user: "alice",
        group: "g1",
        name: "my file",
        path: "/x",
        manifest: MANIFEST,
      });
      const id = first.addDownload({
        user: "alice",
        group: "g1",
        name: "other",
        dest: "/y",
        manifest: MANIFEST,
        startedMs: 5,
      });
      first.finishDownload(id, "failed", "no peers");
      first.addDownload({
        user: "alice",
        group: "g1",
        name: "z",
        dest: "/z",
        manifest: MANIFEST,
        startedMs: 6,
      });
    } finally {
      first.close();
    }
    const again = new Registry(path);
    try {
      assert.deepEqual(again.session(), { user: "alice", token: "t1" });
      assert.deepEqual(again.shares("alice").map((s) => [s.name, s.manifest]), [[
        "my file",
        MANIFEST,
      ]]);
      assert.deepEqual(again.shares("bob"), []);
      const downloads = again.downloads();
      assert.deepEqual(downloads.map((d) => [d.name, d.state, d.error]), [
        ["other", "failed", "no peers"],
        ["z", "running", null],
      ]);
    } finally {
      again.close();
    }
  });
});

Deno.test("Registry forgets a share, a group's shares and the session", async () => {
  await withRegistry((path) => {
    const registry = new Registry(path);
    try {
      registry.saveSession({ user: "bob", token: null });
      registry.clearSession();
      assert.equal(registry.session(), undefined);
      for (const name of ["a", "b"]) {
        registry.putShare({ user: "bob", group: "g", name, path: "/p", manifest: MANIFEST });
      }
      registry.putShare({ user: "bob", group: "h", name: "c", path: "/p", manifest: MANIFEST });
      assert.equal(registry.deleteShare("bob", "g", "a"), true);
      assert.equal(registry.deleteShare("bob", "g", "a"), false);
      registry.deleteGroupShares("bob", "g");
      assert.deepEqual(registry.shares().map((s) => s.name), ["c"]);
    } finally {
      registry.close();
    }
  });
});

Deno.test("Registry keeps the pinned cluster key across reopening and a logout", async () => {
  await withRegistry((path) => {
    const first = new Registry(path);
    try {
      assert.equal(first.pinnedClusterKey(), undefined);
      first.saveSession({ user: "carol", token: "t" });
      first.pinClusterKey("key-1");
      first.clearSession();
    } finally {
      first.close();
    }
    const again = new Registry(path);
    try {
      assert.equal(again.pinnedClusterKey(), "key-1");
    } finally {
      again.close();
    }
  });
});

Deno.test("Registry gives the manifests of an older registry the ids their piece hashes make", async () => {
  await withRegistry((path) => {
    const old = new Registry(path);
    old.putShare({ user: "alice", group: "g1", name: "s", path: "/x", manifest: MANIFEST });
    old.addDownload({
      user: "alice",
      group: "g1",
      name: "d",
      dest: "/y",
      manifest: MANIFEST,
      startedMs: 1,
    });
    old.close();
    const db = new DatabaseSync(path);
    db.exec("PRAGMA user_version = 0"); // as a registry of the older version was left
    db.close();
    const reopened = new Registry(path);
    try {
      const current = { ...MANIFEST, fileHash: fileHashOf(MANIFEST) };
      assert.deepEqual(reopened.shares("alice").map((s) => s.manifest), [current]);
      assert.deepEqual(reopened.downloads().map((d) => d.manifest), [current]);
    } finally {
      reopened.close();
    }
  });
});
