/**
 * The balancer's dashboard over HTTP: the page and its assets, the view as
 * JSON and as a live event stream that shows a tracker going out, metrics
 * that parse, and a server that refuses writes and bounds its listeners.
 */
import assert from "node:assert/strict";
import { RpcClient } from "../protocol/rpc_client.ts";
import { testConfig } from "../balancer/config.ts";
import { startBalancer } from "../balancer/balancer_server.ts";
import type { DashboardView } from "../protocol/dashboard_view.ts";
import { FakeTracker } from "./balancer_fakes.ts";
import { EventReader, get, PAGE_PATHS } from "./http_page_helpers.ts";
import { parsePromText } from "./prom_parse.ts";

function trackerState(view: DashboardView, addr: string): unknown {
  const rows = view.sections.find((s) => s.title === "Trackers")?.rows ?? [];
  const row = rows.find((r) => r[0] === addr);
  return (row?.[1] as { state?: string } | undefined)?.state;
}

Deno.test("balancer dashboard serves its page offline and a live view of trackers", async () => {
  await using balancer = await startBalancer(testConfig({ httpPort: 0, maxMisses: 2 }));
  const url = balancer.dashboardUrl!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  await using a = new FakeTracker();
  const b = new FakeTracker();
  const client = await RpcClient.connect(balancer.addr);
  try {
    for (const t of [a, b]) await client.request("register_tracker", { addr: t.addr, clients: 0 });
    await client.request("get_tracker", { exclude: [] });

    const page = await get(url, "/");
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    // Nothing is fetched from elsewhere: every src and href is a path of this server.
    for (const [, ref] of page.body.matchAll(/(?:src|href)="([^"]*)"/g)) {
      assert.match(ref!, /^\/[a-z.]*$/, `${ref} is local`);
    }
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.match((await get(url, "/dashboard.js")).body, /EventSource\("\/events"\)/);

    await using events = await EventReader.open(url);
    const first = await events.until<DashboardView>((v) => trackerState(v, b.addr) === "live");
    assert.equal(trackerState(first, a.addr), "live");
    const timeline = first.sections.find((s) => s.title === "Timeline")!.rows.map((r) => r[2]);
    assert.ok(timeline.includes(`tracker ${a.addr} registered`), String(timeline));
    assert.ok(timeline.some((t) => String(t).startsWith("client handed tracker")));

    await b[Symbol.asyncDispose]();
    const after = await events.until<DashboardView>((v) => trackerState(v, b.addr) === "out");
    assert.equal(trackerState(after, a.addr), "live");
    assert.match(after.summary, /^1 of 2 trackers live/);

    const json = JSON.parse((await get(url, "/view.json")).body) as DashboardView;
    assert.equal(trackerState(json, b.addr), "out");

    const metrics = await get(url, "/metrics");
    assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
    const samples = parsePromText(metrics.body);
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) =>
        s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
      )?.value;
    assert.equal(value("balancer_trackers", { state: "out" }), 1);
    assert.equal(value("balancer_trackers", { state: "live" }), 1);
    assert.equal(value("balancer_clients_handed_out_total"), 1);
    assert.equal(value("balancer_requests_total", { cmd: "register_tracker" }), 2);
    assert.equal(value("balancer_tracker_transitions_total", { to: "out" }), 1);
    assert.ok((value("balancer_heartbeat_rtt_seconds_count") ?? 0) > 0);
    assert.equal(value("balancer_connections"), 1, "the test's own connection");
  } finally {
    client.close();
    await client.closed;
    await b[Symbol.asyncDispose]();
  }
});

Deno.test("balancer dashboard is read-only and answers unknown paths with 404", async () => {
  await using balancer = await startBalancer(testConfig({ httpPort: 0 }));
  const url = balancer.dashboardUrl!;
  for (const path of [...PAGE_PATHS, "/events"]) {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const reply = await get(url, path, { method, body: "x" });
      assert.equal(reply.status, 405, `${method} ${path}`);
      assert.equal(reply.headers.get("allow"), "GET, HEAD");
    }
  }
  for (const path of ["/nope", "/../balancer/main.ts", "/view.json/x", "/dashboard.js/../../etc"]) {
    assert.equal((await get(url, path)).status, 404, path);
  }
});

Deno.test("balancer dashboard bounds its event-stream listeners", async () => {
  await using balancer = await startBalancer(testConfig({ httpPort: 0 }));
  const url = balancer.dashboardUrl!;
  const streams: EventReader[] = [];
  try {
    for (let i = 0; i < 32; i++) streams.push(await EventReader.open(url));
    const refused = await get(url, "/events");
    assert.equal(refused.status, 503);
    await streams.pop()![Symbol.asyncDispose]();
    // A freed slot is taken again (the server notices the closed stream on its next write).
    let again: EventReader | undefined;
    for (let i = 0; i < 50 && again === undefined; i++) {
      again = await EventReader.open(url).catch(() => undefined);
      if (again === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(again !== undefined, "a slot frees when a listener leaves");
    streams.push(again);
  } finally {
    for (const stream of streams) await stream[Symbol.asyncDispose]();
  }
});

Deno.test("balancer dashboard listens on the balancer's own host only", async () => {
  await using balancer = await startBalancer(testConfig({ host: "127.0.0.2", httpPort: 0 }));
  const url = new URL(balancer.dashboardUrl!);
  assert.equal(url.hostname, "127.0.0.2");
  assert.equal((await get(url.href, "/")).status, 200);
  const elsewhere = new URL(url);
  elsewhere.hostname = "127.0.0.1";
  await assert.rejects(fetch(elsewhere), "nothing listens on another interface");
});
