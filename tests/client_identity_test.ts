/**
 * Who the client is, said plainly: `login` names the tracker it used and the
 * user it replaced, `whoami` answers without asking the tracker.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startClient } from "../client/app.ts";
import { startTracker } from "../tracker/tracker_server.ts";
import { tempDir } from "./harness.ts";
import { testConfig } from "./tracker_helpers.ts";
import { clientTestConfig } from "./test_configs.ts";
import { eventually } from "./client_helpers.ts";

Deno.test("login names its tracker and the user it replaced; whoami tells who and where", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(join(dir.path, "tracker")));
  await using client = await startClient(clientTestConfig(join(dir.path, "c")), {
    trackers: [tracker.addr],
    onNotice: () => {},
    cwd: dir.path,
  });
  const data = async (line: string) => {
    const result = await client.run(line);
    assert.equal(result.kind, "ok", JSON.stringify(result));
    return (result as { data: unknown }).data;
  };
  assert.equal((await data("whoami") as { user: string | null }).user, null);
  await data("create_user alice pw-alice");
  await data("create_user bob pw-bob");
  assert.deepEqual(await data("login alice pw-alice"), {
    user: "alice",
    tracker: tracker.addr,
    previousUser: null,
  });
  assert.deepEqual(await data("login bob pw-bob"), {
    user: "bob",
    tracker: tracker.addr,
    previousUser: "alice",
  });
  assert.deepEqual(await data("whoami"), { user: "bob", tracker: tracker.addr });
});

Deno.test("a saved session the tracker no longer knows is named in a notice and dropped", async () => {
  await using dir = await tempDir();
  const secret = "identity-test-cluster-secret";
  const clientDir = join(dir.path, "c");
  const options = (addr: string, onNotice: (line: string) => void) => ({
    trackers: [addr],
    onNotice,
    cwd: dir.path,
  });
  {
    await using first = await startTracker({
      ...testConfig(join(dir.path, "first")),
      clusterSecret: secret,
    });
    await using client = await startClient(
      clientTestConfig(clientDir),
      options(first.addr, () => {}),
    );
    assert.equal((await client.run("create_user alice pw-alice")).kind, "ok");
    assert.equal((await client.run("login alice pw-alice")).kind, "ok");
  }
  // The same cluster key, but a tracker that never saw alice's session.
  await using second = await startTracker({
    ...testConfig(join(dir.path, "second")),
    clusterSecret: secret,
  });
  const notices: string[] = [];
  await using client = await startClient(
    clientTestConfig(clientDir),
    options(second.addr, (line) => notices.push(line)),
  );
  await eventually(
    "the saved-session notice",
    () => notices.some((l) => l.includes("saved session")),
  );
  const notice = notices.find((l) => l.includes("saved session"))!;
  assert.match(notice, new RegExp(`tracker ${second.addr} refused the saved session of alice`));
  assert.match(notice, /log in again/);
  const who = await client.run("whoami");
  assert.deepEqual((who as { data: unknown }).data, { user: null, tracker: second.addr });
});
