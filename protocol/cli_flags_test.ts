import assert from "node:assert/strict";
import { flagHelp, type FlagSpec, parseFlags, UsageError } from "./cli_flags.ts";

const SPECS: FlagSpec[] = [
  { name: "port", arg: "N", env: "X_PORT", help: "a port", shownDefault: "7" },
  { name: "peer", kind: "list", arg: "HOST:PORT", env: "X_PEERS", help: "peers" },
  { name: "json", kind: "boolean", env: "X_JSON", help: "json" },
  { name: "help", short: "h", kind: "boolean", help: "help" },
];

Deno.test("parseFlags() reads a flag over its environment variable", () => {
  const env = { X_PORT: "9", X_PEERS: "a:1, b:2", X_JSON: "yes" };
  const fromEnv = parseFlags([], env, SPECS);
  assert.equal(fromEnv.int("port", 0, 65535), 9);
  assert.deepEqual(fromEnv.addrs("peer"), ["a:1", "b:2"]);
  assert.equal(fromEnv.bool("json"), true);
  const fromFlags = parseFlags(["--port", "8", "--peer", "c:3", "-h"], env, SPECS);
  assert.equal(fromFlags.int("port", 0, 65535), 8);
  assert.deepEqual(fromFlags.addrs("peer"), ["c:3"]);
  assert.equal(fromFlags.bool("help"), true);
  assert.equal(parseFlags([], { X_PORT: "" }, SPECS).int("port", 0, 65535), undefined);
});

Deno.test("parseFlags() refuses bad flags and values with one UsageError line", () => {
  const bad: [string[], Record<string, string>, (f: ReturnType<typeof parseFlags>) => unknown][] = [
    [["--nope"], {}, () => {}],
    [["stray"], {}, () => {}],
    [["--port"], {}, () => {}],
    [["--port", "x"], {}, (f) => f.int("port", 0, 65535)],
    [["--port", "70000"], {}, (f) => f.int("port", 0, 65535)],
    [[], { X_PORT: "-1" }, (f) => f.int("port", 0, 65535)],
    [["--peer", "nohost"], {}, (f) => f.addrs("peer")],
  ];
  for (const [args, env, read] of bad) {
    assert.throws(
      () => read(parseFlags(args, env, SPECS)),
      (e: unknown) => e instanceof UsageError && !e.message.includes("\n"),
      JSON.stringify(args),
    );
  }
});

Deno.test("flagHelp() shows each flag with its default and variable", () => {
  const help = flagHelp(SPECS);
  assert.match(help, /--port N +a port \(default 7\) \[X_PORT\]/);
  assert.match(help, /--peer HOST:PORT +peers \[X_PEERS, comma-separated\]/);
  assert.match(help, /-h, --help +help$/);
});
