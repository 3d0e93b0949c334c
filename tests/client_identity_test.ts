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
