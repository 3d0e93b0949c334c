/**
 * The tracker and the balancer log one line per significant event, as text
 * or JSON, filtered by --log-level; Ctrl-C (SIGINT) stops them with a line
 * that says so and exit status 0.
 */
import assert from "node:assert/strict";
import { spawnProgram, tempDir } from "./harness.ts";
import { connect, waitFor } from "./tracker_helpers.ts";

Deno.test("tracker logs logins, groups and shares as JSON lines, and says it stopped on SIGINT", async () => {
  await using dir = await tempDir();
  const tracker = await spawnProgram("tracker", [
    "--port",
    "0",
    "--data-dir",
    dir.path,
    "--log-format",
    "json",
  ]);
  try {
    using rpc = await connect(tracker.addr);
    await rpc.request("create_user", { user: "alice", password: "pw-alice" });
    const { token } = await rpc.request<{ token: string }>("login", {
      user: "alice",
      password: "pw-alice",
    });
    await rpc.request("create_group", { token, group: "g1" });
    await rpc.request("list_groups", { token });
    const messages = () =>
      tracker.stderrLines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).message);
    await waitFor(() => messages().includes("alice created group g1") || undefined);
    assert.ok(messages().includes("user alice created"));
    assert.ok(messages().includes("alice logged in"));
    assert.ok(!messages().some((m: string) => /list_groups/.test(m)), "queries log nothing");
    const line = JSON.parse(tracker.stderrLines.find((l) => l.includes("logged in"))!);
    assert.equal(line.level, "info");
    assert.equal(line.program, "tracker");
    assert.ok(!Number.isNaN(Date.parse(line.time)));
  } finally {
    const status = await tracker.stop("SIGINT");
    assert.equal(status.code, 0);
  }
  assert.ok(tracker.stderrLines.some((l) => l.includes("stopped (SIGINT)")));
});

Deno.test("tracker --log-level warn leaves out the info lines", async () => {
  await using dir = await tempDir();
  await using tracker = await spawnProgram("tracker", [
    "--port",
    "0",
    "--data-dir",
    dir.path,
    "--log-level",
    "warn",
  ]);
  using rpc = await connect(tracker.addr);
  await rpc.request("create_user", { user: "bob", password: "pw-bob" });
  await rpc.request("login", { user: "bob", password: "pw-bob" });
  await tracker.stop("SIGINT");
  assert.ok(
    !tracker.stderrLines.some((l) => l.includes("logged in")),
    tracker.stderrLines.join("\n"),
  );
});

Deno.test("balancer logs as JSON and says it stopped on SIGINT, exit 0", async () => {
  const balancer = await spawnProgram("balancer", ["--port", "0", "--log-format", "json"]);
  const status = await balancer.stop("SIGINT");
  assert.equal(status.code, 0);
  const messages = balancer.stderrLines.map((l) => JSON.parse(l).message);
  assert.ok(messages.includes(`serving ${balancer.addr}`), messages.join("\n"));
  assert.ok(messages.includes("stopped (SIGINT)"));
});
