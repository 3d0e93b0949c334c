import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { OpStore } from "../tracker/storage.ts";
import { spawnProgram, tempDir } from "./harness.ts";
import { connect, fakeManifest, userSession } from "./tracker_helpers.ts";

function startOn(dataDir: string) {
  return spawnProgram("tracker", ["--port", "0", "--data-dir", dataDir]);
}

Deno.test("tracker killed with SIGKILL right after acknowledging writes has them all after restart", async () => {
  await using dir = await tempDir();
  let token: string;
  const acked: string[] = [];
  {
    await using tracker = await startOn(dir.path);
    using c = await connect(tracker.addr);
    token = await userSession(c, "alice");
    await c.request("create_group", { token, group: "g0" });
    await c.request("upload_file", {
      token,
      group: "g0",
      name: "f",
      addr: "127.0.0.1:9001",
      manifest: fakeManifest("f"),
    });
    // Many writes in flight over several connections; kill as soon as 20 are
    // acknowledged (each request times out on its own, so this cannot hang).
    const conns = await Promise.all([1, 2, 3, 4].map(() => connect(tracker.addr)));
    const twentiethAck = Promise.withResolvers<"20 acknowledged">();
    const writes = Array.from(
      { length: 200 },
      (_, i) =>
        conns[i % 4]!.request("create_group", { token, group: `k${i}` }).then(
          () => {
            if (acked.push(`k${i}`) === 20) twentiethAck.resolve("20 acknowledged");
          },
          (error) => assert.ok(error instanceof AppError, String(error)),
        ),
    );
    const allSettled = Promise.all(writes).then(() => "all settled first" as const);
    assert.equal(await Promise.race([twentiethAck.promise, allSettled]), "20 acknowledged");
    tracker.child.kill("SIGKILL");
    await Promise.all(writes);
    for (const conn of conns) conn.close();
    assert.notEqual((await tracker.status).code, 0);
  }
  await using again = await startOn(dir.path);
  using c = await connect(again.addr);
  assert.equal((await c.request<{ user: string }>("whoami", { token })).user, "alice");
  const { groups } = await c.request<{ groups: { group: string }[] }>("list_groups", { token });
  const names = new Set(groups.map((g) => g.group));
  for (const name of ["g0", ...acked]) assert.ok(names.has(name), `${name} was acknowledged`);
  const files = await c.request<{ files: { name: string }[] }>("list_files", {
    token,
    group: "g0",
  });
  assert.deepEqual(files.files.map((f) => f.name), ["f"]);
});

Deno.test("tracker restarted from a snapshot plus newer ops has everything", async () => {
  await using dir = await tempDir();
  let token: string;
  let digest: string;
  {
    await using tracker = await startOn(dir.path);
    using c = await connect(tracker.addr);
    token = await userSession(c, "bob");
    for (let i = 0; i < 5; i++) await c.request("create_group", { token, group: `s${i}` });
    assert.equal((await tracker.stop("SIGTERM")).code, 0);
    const store = new OpStore(dir.path);
    const snapshot = store.loadSnapshot();
    store.close();
    assert.deepEqual(snapshot?.versionVector, new Map([[1, 7]]), "clean shutdown saves a snapshot");
  }
  {
    await using tracker = await startOn(dir.path);
    using c = await connect(tracker.addr);
    await c.request("create_group", { token, group: "after-snapshot" });
    digest = (await c.request<{ digest: string }>("digest")).digest;
    tracker.child.kill("SIGKILL");
    await tracker.status;
  }
  await using tracker = await startOn(dir.path);
  using c = await connect(tracker.addr);
  const reply = await c.request<{ digest: string; ops: number }>("digest");
  assert.deepEqual(reply, { digest, ops: 8 });
  const { groups } = await c.request<{ groups: { group: string }[] }>("list_groups", { token });
  assert.deepEqual(groups.map((g) => g.group).sort(), [
    "after-snapshot",
    "s0",
    "s1",
    "s2",
    "s3",
    "s4",
  ]);
});
