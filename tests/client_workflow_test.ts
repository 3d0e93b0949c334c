/**
 * The whole user workflow across four real client processes and a real
 * tracker, driven through stdin in `--json` mode.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProgram, tempDir } from "./harness.ts";
import { eventually, startClientProc, writeTestFile } from "./client_helpers.ts";
import { connect } from "./tracker_helpers.ts";

Deno.test("client workflow: users, a group with requests, uploads, listing, downloads, stop_share", async () => {
  await using dir = await tempDir("client-workflow-");
  await using tracker = await spawnProgram("tracker", [
    "--port",
    "0",
    "--data-dir",
    join(dir.path, "tracker"),
  ]);
  const t = ["--tracker", tracker.addr];
  const names = ["alice", "bob", "carol", "dave"] as const;
  const [alice, bob, carol, dave] = await Promise.all(
    names.map((n) => startClientProc(join(dir.path, n), t)),
  );
  await using _a = alice!;
  await using _b = bob!;
  await using _c = carol!;
  await using _d = dave!;

  // Local checks answer before anything reaches a tracker.
  const early = await alice!.cmd("list_groups");
  assert.equal(early.error?.code, "NOT_LOGGED_IN");
  assert.equal((await alice!.cmd("login alice")).error?.code, "BAD_REQUEST");
  assert.equal((await alice!.cmd('login "alice')).error?.code, "BAD_REQUEST");
  assert.equal((await alice!.cmd("fly away")).error?.code, "UNKNOWN_COMMAND");
  const help = await alice!.ok("help");
  assert.ok(
    help.commands.some((c: { usage: string }) =>
      c.usage === "download_file <group> <name> <destination>"
    ),
  );

  for (const [i, client] of [alice!, bob!, carol!, dave!].entries()) {
    assert.deepEqual(await client.ok(`create_user ${names[i]} pw-${names[i]}`), { user: names[i] });
    assert.equal((await client.ok(`login ${names[i]} pw-${names[i]}`)).user, names[i]);
  }
  assert.equal((await bob!.cmd("login bob wrong")).error?.code, "BAD_CREDENTIALS");
  await bob!.ok("login bob pw-bob");

  await alice!.ok("create_group g1");
  for (const c of [bob!, carol!, dave!]) {
    assert.equal((await c.ok("join_group g1")).status, "pending");
  }
  assert.deepEqual((await alice!.ok("list_requests g1")).requests.sort(), ["bob", "carol", "dave"]);
  assert.equal((await bob!.cmd("accept_request g1 carol")).error?.code, "FORBIDDEN");
  await alice!.ok("accept_request g1 bob");
  await alice!.ok("accept_request g1 carol");
  await alice!.ok("reject_request g1 dave");
  assert.deepEqual((await alice!.ok("list_requests g1")).requests, []);
  const bobGroups = (await bob!.ok("list_groups")).groups;
  assert.deepEqual(bobGroups.map((g: { group: string; role: string }) => [g.group, g.role]), [
    ["g1", "member"],
  ]);
  assert.equal((await dave!.cmd("list_files g1")).error?.code, "FORBIDDEN");

  // Upload errors are clear and local.
  const missing = await alice!.cmd(`upload_file ${join(dir.path, "nope.bin")} g1`);
  assert.equal(missing.error?.code, "NOT_FOUND");
  assert.equal((await alice!.cmd(`upload_file ${dir.path} g1`)).error?.code, "BAD_REQUEST");

  // A name with spaces, shared by alice, downloaded by bob then carol.
  const source = join(dir.path, "my file.bin");
  const bytes = await writeTestFile(source, 3 * 512 * 1024 + 77);
  const up = await alice!.ok(`upload_file "${source}" g1`);
  assert.equal(up.name, "my file.bin");
  const listed = (await bob!.ok("list_files g1")).files;
  assert.deepEqual(
    listed.map((f: { name: string; size: number; seeders: number }) => [f.name, f.size, f.seeders]),
    [
      ["my file.bin", bytes.length, 1],
    ],
  );

  const bobDir = join(dir.path, "bob-files");
  await Deno.mkdir(bobDir);
  await bob!.ok(`download_file g1 "my file.bin" ${bobDir}`);
  const waited = (await bob!.ok("wait")).downloads;
  assert.deepEqual(waited.map((d: { state: string }) => d.state), ["complete"]);
  assert.deepEqual(await Deno.readFile(join(bobDir, "my file.bin")), bytes);

  // bob now seeds it too.
  const carolPath = join(dir.path, "carol copy.bin");
  const seeders = async () => (await carol!.ok("list_files g1")).files[0].seeders;
  for (let i = 0; i < 100 && (await seeders()) < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await seeders(), 2);
  const started = await carol!.ok(`download_file g1 "my file.bin" "${carolPath}"`);
  assert.equal(started.dest, carolPath);
  await carol!.ok("wait");
  assert.deepEqual(await Deno.readFile(carolPath), bytes);
  const shown = (await carol!.ok("show_downloads")).downloads;
  assert.deepEqual(
    shown.map((
      d: { name: string; state: string; percent: number },
    ) => [d.name, d.state, d.percent]),
    [
      ["my file.bin", "complete", 100],
    ],
  );

  // Downloading onto an existing file is refused.
  assert.equal(
    (await carol!.cmd(`download_file g1 "my file.bin" "${carolPath}"`)).error?.code,
    "ALREADY_EXISTS",
  );

  // stop_share: alice leaves the seeder list, bob and carol stay on it.
  using rpc = await connect(tracker.addr);
  const { token } = await rpc.request<{ token: string }>("login", {
    user: "carol",
    password: "pw-carol",
  });
  const seederUsers = async () => {
    const reply = await rpc.request<{ peers: { user: string }[] }>("download_file", {
      token,
      group: "g1",
      name: "my file.bin",
    });
    return reply.peers.map((p) => p.user).sort().join(",");
  };
  await eventually("carol on the seeder list", async () => (await seederUsers()) !== "alice,bob");
  assert.equal(await seederUsers(), "alice,bob,carol");
  await alice!.ok('stop_share g1 "my file.bin"');
  assert.equal(await seederUsers(), "bob,carol");

  await dave!.ok("logout");
  assert.equal((await dave!.cmd("list_groups")).error?.code, "NOT_LOGGED_IN");
  // Alice's script had failed commands: a script can tell by the exit status.
  assert.deepEqual(await alice!.ok("quit"), {});
  assert.equal((await alice!.proc.status).code, 1);
});
