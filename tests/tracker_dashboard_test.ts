/**
 * The tracker's dashboard over HTTP: its view of links, version vector,
 * connections and commands, a live event stream, metrics that parse, and a
 * read-only server.
 */
import assert from "node:assert/strict";
import { startTracker } from "../tracker/tracker_server.ts";
import type { DashboardView } from "../protocol/dashboard_view.ts";
import { tempDir } from "./harness.ts";
import { connect, testConfig, userSession } from "./tracker_helpers.ts";
import { EventReader, get, PAGE_PATHS } from "./http_page_helpers.ts";
import { parsePromText } from "./prom_parse.ts";

function rowsOf(view: DashboardView, title: string): unknown[][] {
  return view.sections.find((s) => s.title === title)?.rows ?? [];
}

Deno.test("tracker dashboard shows its commands, ops and connections live", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path, { httpPort: 0, id: 7 }));
  const url = tracker.dashboardUrl!;
  assert.match((await get(url, "/")).body, /<script src="\/dashboard.js">/);
  await using events = await EventReader.open(url);
  using c = await connect(tracker.addr);
  const token = await userSession(c, "alice");
  await c.request("create_group", { token, group: "g1" });
  await c.request("create_group", { token, group: "g1" }).catch(() => {});

  const view = await events.until<DashboardView>((v) =>
    rowsOf(v, "Recent commands").length >= 4 &&
    rowsOf(v, "Connections").some((r) => r[2] === "alice")
  );
  assert.match(view.title, /^tracker 7 127\.0\.0\.1:\d+$/);
  assert.deepEqual(
    rowsOf(view, "Recent commands").map((r) => [r[1], r[2]]),
    [
      ["create_group", "ALREADY_EXISTS"],
      ["create_group", "ok"],
      ["login", "ok"],
      ["create_user", "ok"],
    ],
  );
  assert.deepEqual(rowsOf(view, "Version vector").map((r) => r[0]), ["7"]);
  const [conn] = rowsOf(view, "Connections");
  assert.deepEqual([conn?.[1], conn?.[2], conn?.[3]], ["client", "alice", 4]);
  assert.deepEqual(rowsOf(view, "Commands").find((r) => r[0] === "create_group"), [
    "create_group",
    1,
    1,
  ]);

  const samples = parsePromText((await get(url, "/metrics")).body);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    )?.value;
  assert.equal(value("tracker_requests_total", { cmd: "create_group" }), 2);
  assert.equal(
    value("tracker_request_errors_total", { cmd: "create_group", code: "ALREADY_EXISTS" }),
    1,
  );
  assert.equal(value("tracker_connections", { kind: "client" }), 1);
  assert.ok((value("tracker_ops", { origin: "7" }) ?? 0) >= 3);
  assert.ok((value("tracker_commit_seconds_count") ?? 0) >= 3);
});

Deno.test("tracker dashboard refuses writes and keeps made-up commands out of its metrics", async () => {
  await using dir = await tempDir();
  await using tracker = await startTracker(testConfig(dir.path, { httpPort: 0 }));
  const url = tracker.dashboardUrl!;
  for (const path of [...PAGE_PATHS, "/events"]) {
    assert.equal((await get(url, path, { method: "POST", body: "{}" })).status, 405, path);
  }
  using c = await connect(tracker.addr);
  await c.request("no_such_thing", {}).catch(() => {});
  await c.request('x"} 1\nevil_metric 1', {}).catch(() => {});
  const body = (await get(url, "/metrics")).body;
  const samples = parsePromText(body);
  assert.ok(!samples.some((s) => s.name === "evil_metric"));
  assert.ok(!body.includes("no_such_thing"));
  assert.equal(
    samples.find((s) => s.name === "tracker_requests_total" && s.labels["cmd"] === "unknown")
      ?.value,
    2,
  );
});
