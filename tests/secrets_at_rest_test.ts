/**
 * Secrets at rest, checked on what real programs leave on disk: no session
 * token in any file of a tracker's data dir (only its hash), the client's
 * registry as the only clear copy, every file 0600 in a 0700 directory, the
 * cluster secret kept out of the process list, and sessions that expire and
 * leave the snapshot.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { startTracker } from "../tracker/tracker_server.ts";
import { OpStore } from "../tracker/storage.ts";
import { hashToken } from "../tracker/token_hash.ts";
import { startClientProc, writeTestFile } from "./client_helpers.ts";
import { ask, converged } from "./cluster_helpers.ts";
import { spawnProgram, tempDir } from "./harness.ts";
import { connect, rejectsWith, testConfig, waitFor } from "./tracker_helpers.ts";

const MAIN = new URL("../tracker/main.ts", import.meta.url).pathname;

/** Every file and directory under `dir`, with its mode. */
function walk(dir: string): { path: string; isDir: boolean; mode: number }[] {
  const found = [{ path: dir, isDir: true, mode: (Deno.statSync(dir).mode ?? 0) & 0o777 }];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...walk(path));
    else found.push({ path, isDir: false, mode: (Deno.lstatSync(path).mode ?? 0) & 0o777 });
  }
  return found;
}

function filesHolding(dirs: string[], text: string): string[] {
  const needle = new TextEncoder().encode(text);
  const holding: string[] = [];
  for (const dir of dirs) {
    for (const entry of walk(dir)) {
      if (!entry.isDir && includesBytes(Deno.readFileSync(entry.path), needle)) {
        holding.push(entry.path);
      }
    }
  }
  return holding;
}

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength)
    .includes(Buffer.from(needle));
}

async function writeSecretFile(path: string, secret: string, mode = 0o600): Promise<void> {
  await Deno.writeTextFile(path, secret + "\n");
  await Deno.chmod(path, mode);
}

Deno.test("tokens are on no tracker's disk, and every data file is 0600 in a 0700 dir", async () => {
  await using root = await tempDir();
  await using outside = await tempDir();
  const secretFile = join(outside.path, "cluster.secret");
  const secret = "secret-that-must-not-show-" + crypto.randomUUID();
  await writeSecretFile(secretFile, secret);
  const dirs = { t1: join(root.path, "t1"), t2: join(root.path, "t2"), c: join(root.path, "c") };
  const trackerFlags = (
    id: number,
    dir: string,
  ) => ["--port", "0", "--id", String(id), "--data-dir", dir, "--cluster-secret-file", secretFile];
  await using t1 = await spawnProgram("tracker", trackerFlags(1, dirs.t1));
  await using t2 = await spawnProgram("tracker", [...trackerFlags(2, dirs.t2), "--peer", t1.addr]);
  const cmdline = await Deno.readTextFile(`/proc/${t1.pid}/cmdline`).catch(() => "");
  assert.equal(cmdline.includes(secret), false);

  const shared = join(outside.path, "notes.bin");
  await writeTestFile(shared, 5000);
  const tokens: string[] = [];
  {
    await using client = await startClientProc(dirs.c, ["--tracker", t1.addr]);
    await client.ok("create_user alice pw-alice");
    await client.ok("login alice pw-alice");
    await client.ok("create_group g1");
    await client.ok(`upload_file ${shared} g1`);
    // bob on the other tracker: one session closed, one open.
    await ask(t2.addr, "create_user", { user: "bob", password: "pw-bob" });
    using bob = await connect(t2.addr);
    const closed = await bob.request<{ token: string }>("login", {
      user: "bob",
      password: "pw-bob",
    });
    await bob.request("logout", { token: closed.token });
    const open = await bob.request<{ token: string }>("login", { user: "bob", password: "pw-bob" });
    tokens.push(closed.token, open.token);
    await converged([t1.addr, t2.addr]);
    await client.proc.stop();
  }
  await t2.stop();
  await t1.stop();

  const registry = new DatabaseSync(join(dirs.c, "client.db"), { readOnly: true });
  const row = registry.prepare("SELECT token FROM session").get() as { token: string };
  registry.close();
  tokens.push(row.token);
  for (const token of tokens) {
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.deepEqual(filesHolding([dirs.t1, dirs.t2], token), [], "a tracker kept a token");
  }
  // The scan reads what the trackers wrote: the hash of an open session is there.
  assert.notDeepEqual(filesHolding([dirs.t1, dirs.t2], hashToken(row.token)), []);
  for (const path of filesHolding([dirs.c], row.token)) {
    assert.match(path, /client\.db(-wal)?$/, "the client's token outside its registry");
  }
  for (const entry of [dirs.t1, dirs.t2, dirs.c].flatMap(walk)) {
    assert.equal(
      entry.mode,
      entry.isDir ? 0o700 : 0o600,
      `${entry.path} is ${entry.mode.toString(8)}`,
    );
  }
});

Deno.test("tracker main takes the cluster secret from a private file; the flag form warns", async () => {
  await using dir = await tempDir();
  const run = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-read", "--allow-write", "--allow-env", MAIN, ...args],
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  const file = join(dir.path, "secret");
  await writeSecretFile(file, "s3cret", 0o644);
  const open = await run(["--cluster-secret-file", file, "--peer", "127.0.0.1:1", "--id", "2"]);
  assert.equal(open.code, 2);
  assert.match(open.stderr, /can be read by others.*chmod 600/);
  await Deno.writeTextFile(file, "\n");
  await Deno.chmod(file, 0o600);
  const empty = await run(["--cluster-secret-file", file, "--peer", "127.0.0.1:1", "--id", "2"]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /is empty/);

  await using flag = await spawnProgram("tracker", [
    ...["--port", "0", "--data-dir", join(dir.path, "t"), "--cluster-secret", "s3cret"],
  ]);
  assert.ok(
    flag.stderrLines.some((line) =>
      /warning: --cluster-secret shows in the process list/.test(line)
    ),
    flag.stderrLines.join("\n"),
  );
});

Deno.test("sessions expire after the session TTL, and expired or closed ones leave the snapshot", async () => {
  await using dir = await tempDir();
  const config = testConfig(dir.path, { sessionTtlMs: 400 });
  const hashes: string[] = [];
  let expired: string;
  {
    await using tracker = await startTracker(config);
    using client = await connect(tracker.addr);
    await client.request("create_user", { user: "alice", password: "pw" });
    const login = () =>
      client.request<{ token: string }>("login", { user: "alice", password: "pw" });
    expired = (await login()).token;
    const closed = (await login()).token;
    await client.request("logout", { token: closed });
    const last = (await login()).token; // the last to expire
    hashes.push(hashToken(expired), hashToken(closed), hashToken(last));
    // (That a session works before its expiry is what every other test shows.)
    await waitFor(
      () =>
        client.request("whoami", { token: last }).then(
          () => undefined,
          (error) => error,
        ),
      10_000,
      "the sessions to expire",
    );
    await rejectsWith(client.request("whoami", { token: last }), "NOT_LOGGED_IN");
    await rejectsWith(client.request("whoami", { token: expired }), "NOT_LOGGED_IN");
    // Any later op moves every tracker's horizon past the expiry.
    await client.request("create_user", { user: "carol", password: "pw" });
  }
  const store = new OpStore(dir.path);
  const snapshot = store.loadSnapshot();
  store.close();
  assert.ok(snapshot !== undefined);
  assert.match(snapshot.state, /"carol"/);
  for (const hash of hashes) assert.equal(snapshot.state.includes(hash), false);

  await using again = await startTracker(testConfig(dir.path));
  using client = await connect(again.addr);
  await rejectsWith(client.request("whoami", { token: expired }), "NOT_LOGGED_IN");
  const { token } = await client.request<{ token: string }>("login", {
    user: "alice",
    password: "pw",
  });
  assert.equal((await client.request("whoami", { token }) as { user: string }).user, "alice");
});
