import assert from "node:assert/strict";
import { escapeLabelValue, MAX_SERIES_PER_FAMILY, MetricsRegistry } from "../protocol/prom_text.ts";
import { parsePromText } from "./prom_parse.ts";

Deno.test("MetricsRegistry.render() writes counters, gauges and histograms a scraper reads", () => {
  const m = new MetricsRegistry();
  m.declare("app_requests_total", "counter", "Requests by command.");
  m.declare("app_links", "gauge", "Links.");
  m.declare("app_latency_seconds", "histogram", "Latency.", [0.1, 1]);
  m.inc("app_requests_total", { cmd: "login" });
  m.inc("app_requests_total", { cmd: "login" }, 2);
  m.set("app_links", { peer: 'a"b\\c\nd' }, 3);
  m.observe("app_latency_seconds", {}, 0.05);
  m.observe("app_latency_seconds", {}, 0.5);
  m.observe("app_latency_seconds", {}, 7);
  const samples = parsePromText(m.render());
  const find = (name: string, le?: string) =>
    samples.find((s) => s.name === name && (le === undefined || s.labels["le"] === le));
  assert.equal(find("app_requests_total")?.value, 3);
  assert.deepEqual(find("app_links")?.labels, { peer: 'a"b\\c\nd' });
  assert.equal(find("app_latency_seconds_bucket", "0.1")?.value, 1);
  assert.equal(find("app_latency_seconds_bucket", "1")?.value, 2);
  assert.equal(find("app_latency_seconds_bucket", "+Inf")?.value, 3);
  assert.equal(find("app_latency_seconds_count")?.value, 3);
  assert.equal(find("app_latency_seconds_sum")?.value, 7.55);
});

Deno.test("escapeLabelValue() escapes backslash, quote and newline", () => {
  assert.equal(escapeLabelValue('x\\y"z\nw'), 'x\\\\y\\"z\\nw');
});

Deno.test("MetricsRegistry refuses bad names and folds label sets past the cap", () => {
  const m = new MetricsRegistry();
  assert.throws(() => m.declare("bad name", "counter", "x"), TypeError);
  m.declare("c_total", "counter", "x");
  assert.throws(() => m.set("c_total", {}, 1), TypeError);
  assert.throws(() => m.inc("c_total", { "bad-label": "x" }), TypeError);
  for (let i = 0; i < MAX_SERIES_PER_FAMILY + 50; i++) m.inc("c_total", { peer: `p${i}` });
  const samples = parsePromText(m.render());
  assert.equal(samples.length, MAX_SERIES_PER_FAMILY + 1);
  assert.equal(samples.find((s) => s.labels["peer"] === "other")?.value, 50);
});

Deno.test("parsePromText() rejects what breaks the format", () => {
  assert.throws(() => parsePromText("# TYPE a counter\na 1"), /newline/);
  assert.throws(() => parsePromText("a 1\n"), /outside/);
  assert.throws(() => parsePromText('# TYPE a counter\na{x="1} 1\n'), /labels/);
  assert.throws(
    () =>
      parsePromText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n'),
    /cumulative/,
  );
});
