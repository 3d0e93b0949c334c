/**
 * A tracker process whose data directory is a real, tiny tmpfs that the
 * test fills up and then empties. The tmpfs is mounted in a private mount
 * namespace (`unshare -rm`, no root needed where user namespaces are on), so
 * it vanishes with the process; the test reaches it through /proc/PID/root.
 */
import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { type ProgramHandle, spawnProgram, tempDir } from "./harness.ts";
import { converged, SECRET, startPeer } from "./cluster_helpers.ts";
import { connect, userSession, waitFor } from "./tracker_helpers.ts";

const TMPFS_BYTES = 1024 * 1024;
const MOUNT_SCRIPT = `mount -t tmpfs -o size=${TMPFS_BYTES} tmpfs "$0" && exec "$@"`;

/** Whether this machine lets the test mount a private tmpfs. */
async function canMountTmpfs(): Promise<boolean> {
  try {
    await using dir = await tempDir();
    const probe = new Deno.Command("unshare", {
      args: ["-rm", "sh", "-c", MOUNT_SCRIPT, dir.path, "true"],
      stdout: "null",
      stderr: "null",
    });
    return (await probe.output()).success;
  } catch {
    return false;
  }
}

const mountable = await canMountTmpfs();
if (!mountable) {
  // deno-lint-ignore no-console
  console.warn(
    "\n*** SKIPPED: the real full-disk test cannot mount a tmpfs here (unshare -rm failed); " +
      "tracker_full_disk_test.ts still checks a storage fault injected through OpStore ***\n",
  );
}

function startOnTmpfs(dataDir: string, peer: string): Promise<ProgramHandle> {
  const entry = new URL("../tracker/main.ts", import.meta.url).pathname;
  const permissions = ["--allow-net", "--allow-read", "--allow-write", "--allow-env"];
  const flags = ["--port", "0", "--id", "1", "--data-dir", dataDir, "--peer", peer];
  return spawnProgram("tracker", [
    "-rm",
    "sh",
    "-c",
    MOUNT_SCRIPT,
    dataDir,
    Deno.execPath(),
    "run",
    ...permissions,
    entry,
    ...flags,
  ], { binary: "unshare", env: { TRACKER_CLUSTER_SECRET: SECRET } });
}

/** Fills the tracker's filesystem with one file, through the tracker's own view of it. */
async function fill(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    const chunk = new Uint8Array(16 * 1024);
    for (let i = 0; i < (2 * TMPFS_BYTES) / chunk.length; i++) await file.write(chunk);
    assert.fail("the tmpfs never filled up");
  } catch (error) {
    if (!(error instanceof Error) || !/No space left/i.test(error.message)) throw error;
  } finally {
    file.close();
  }
}

Deno.test({
  name: "a tracker on a really full disk refuses writes, serves reads and its peer, and resumes",
  ignore: !mountable,
  fn: async () => {
    await using dirA = await tempDir();
    await using dirB = await tempDir();
    await using b = await startPeer(2, dirB.path);
    await using a = await startOnTmpfs(dirA.path, b.addr);
    using c = await connect(a.addr);
    const token = await userSession(c, "alice");
    await c.request("create_group", { token, group: "g-before" });

    const filler = `/proc/${a.pid}/root${dirA.path}/filler`;
    await fill(filler);
    // The WAL may still have room for a few commits; then writes are refused.
    let refusal: AppError | undefined;
    const stored: string[] = [];
    for (let i = 0; i < 500 && refusal === undefined; i++) {
      try {
        await c.request("create_group", { token, group: `g-full-${i}` });
        stored.push(`g-full-${i}`);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== "UNAVAILABLE") throw error;
        refusal = error;
      }
    }
    assert.ok(refusal, "no write was refused on a full disk");
    assert.match(refusal.message, /disk is full/);
    await waitFor(
      () => a.stderrLines.find((line) => /database or disk is full/.test(line)),
      5000,
      "the SQLite error in the log",
    );
    // Reads and heartbeats go on; the peer still gets what was stored.
    assert.deepEqual(await c.request("ping"), { pong: true });
    using cb = await connect(b.addr);
    await waitFor(
      async () => {
        const { groups } = await cb.request<{ groups: { group: string }[] }>("list_groups", {
          token,
        });
        return groups.length === 1 + stored.length ? true : undefined;
      },
      15_000,
      "the peer to hold what the full tracker stored",
    );
    await cb.request("create_group", { token, group: "g-on-peer" });

    await Deno.remove(filler);
    await waitFor(
      () => c.request("create_group", { token, group: "g-after" }).catch(() => undefined),
      15_000,
      "writes to resume once there is room",
    );
    // Nothing lost, no gap: both trackers reach the same state.
    await converged([a.addr, b.addr]);
    const { groups } = await c.request<{ groups: { group: string }[] }>("list_groups", { token });
    const names = groups.map((g) => g.group);
    for (const name of ["g-before", ...stored, "g-on-peer", "g-after"]) {
      assert.ok(names.includes(name), `${name} missing from ${names.join(", ")}`);
    }
    assert.equal(a.exited, false);
  },
});
