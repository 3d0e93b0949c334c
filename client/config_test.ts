import assert from "node:assert/strict";
import {
  defaultClientConfig,
  parseClientArgs,
  parseRate,
  trackerCandidates,
  UsageError,
} from "./config.ts";

Deno.test("parseClientArgs() gives the defaults for no flags", () => {
  const { config, help } = parseClientArgs([], {});
  assert.deepEqual(config, defaultClientConfig());
  assert.equal(help, false);
  assert.deepEqual(trackerCandidates(config, []), ["127.0.0.1:7000"]);
});

Deno.test("parseClientArgs() reads repeated flags and numbers", () => {
  const { config } = parseClientArgs([
    "--tracker",
    "127.0.0.1:7001",
    "--tracker",
    "127.0.0.1:7002",
    "--balancer",
    "127.0.0.1:7100",
    "--json",
    "--heartbeat-interval",
    "200",
    "--port",
    "0",
  ], {});
  assert.deepEqual(config.trackers, ["127.0.0.1:7001", "127.0.0.1:7002"]);
  assert.deepEqual(config.balancers, ["127.0.0.1:7100"]);
  assert.equal(config.json, true);
  assert.equal(config.heartbeatIntervalMs, 200);
});

Deno.test("parseClientArgs() takes the environment under the flags", () => {
  const env = { CLIENT_TRACKERS: "h:1, h:2", CLIENT_WORKERS: "3", CLIENT_JSON: "1" };
  const { config } = parseClientArgs(["--workers", "4"], env);
  assert.deepEqual(config.trackers, ["h:1", "h:2"]);
  assert.equal(config.workers, 4);
  assert.equal(config.json, true);
});

Deno.test("parseClientArgs() refuses bad flags with one line", () => {
  for (
    const args of [
      ["--nope"],
      ["--port", "x"],
      ["--port", "70000"],
      ["--tracker", "nohost"],
      ["--workers", "0"],
      ["--upload-limit", "fast"],
      ["--upload-limit", "-5"],
      ["extra"],
    ]
  ) {
    assert.throws(
      () => parseClientArgs(args, {}),
      (e: unknown) => e instanceof UsageError && !e.message.includes("\n"),
    );
  }
});

Deno.test("trackerCandidates() merges flags and file without repeats", () => {
  const { config } = parseClientArgs(["--tracker", "h:1"], {});
  assert.deepEqual(trackerCandidates(config, ["h:2", "h:1"]), ["h:1", "h:2"]);
  const withBalancer = parseClientArgs(["--balancer", "b:1"], {}).config;
  assert.deepEqual(trackerCandidates(withBalancer, []), []);
});

Deno.test("parseRate() reads bytes per second with binary K, M and G suffixes", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["500000", 500_000],
    ["512K", 512 * 1024],
    ["2M", 2 * 1024 * 1024],
    ["1.5m", 1.5 * 1024 * 1024],
    ["1G", 1024 ** 3],
    ["2MiB/s", 2 * 1024 * 1024],
  ];
  for (const [text, expected] of cases) {
    assert.equal(parseRate("--upload-limit", text), expected, text);
  }
  assert.equal(parseRate("--upload-limit", undefined), 0);
  assert.equal(parseClientArgs(["--upload-limit", "2M"], {}).config.uploadBytesPerSec, 2097152);
  assert.equal(parseClientArgs([], { CLIENT_UPLOAD_LIMIT: "1K" }).config.uploadBytesPerSec, 1024);
});
