/**
 * `deno task tracker`: parses flags (and their environment variables), starts
 * the tracker, prints `tracker ready <host:port>`, and on SIGINT/SIGTERM
 * closes everything cleanly. `--status host:port` prints a running tracker's
 * cluster links instead.
 */
import { readyLine } from "../protocol/programs.ts";
import { parseArgs } from "node:util";
import { parseHostPort } from "../protocol/conn_io.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import { defaultConfig, type TrackerConfig } from "./config.ts";
import { startTracker } from "./tracker_server.ts";
import { parseTrackerInfo, pickSelf } from "./tracker_info.ts";

const HELP = `Usage: deno task tracker [options]

Runs a tracker: the metadata server of users, groups and shared files.

Options (environment variable in brackets):
  --host HOST            interface to listen on (default 127.0.0.1) [TRACKER_HOST]
  --port PORT            port to listen on; 0 picks a free one (default 7000) [TRACKER_PORT]
  --data-dir DIR         where the op log lives (default .data/tracker-<port or id>) [TRACKER_DATA_DIR]
  --id N                 this tracker's id, 1-99999 (default 1) [TRACKER_ID]
  --trackers FILE        tracker_info.txt: one host:port per line; line N is tracker N,
                         the other lines are its peers [TRACKER_TRACKERS]
  --peer HOST:PORT       a peer tracker to replicate with (repeatable) [TRACKER_PEERS, comma-separated]
  --cluster-secret TEXT  shared secret authenticating links between trackers [TRACKER_CLUSTER_SECRET]
  --advertise HOST:PORT  address peers and balancers should dial (default: the listening
                         address) [TRACKER_ADVERTISE]
  --balancer HOST:PORT   a balancer to register with (repeatable) [TRACKER_BALANCER, comma-separated]
  --ticket-lifetime MS   how long a download ticket is good for (default 600000, 10 minutes)
                         [TRACKER_TICKET_LIFETIME_MS]
  --status HOST:PORT     print a running tracker's links, version vector and memory, then exit
  --help                 show this help

Settings can also come from a .env file: deno run --env-file=.env ...`;

class UsageError extends Error {}

function envList(name: string): string[] {
  const value = Deno.env.get(name);
  return value === undefined || value.trim() === "" ? [] : value.split(",").map((s) => s.trim());
}

function intFlag(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

function checkAddrs(name: string, addrs: string[]): string[] {
  for (const addr of addrs) {
    try {
      parseHostPort(addr);
    } catch {
      throw new UsageError(`--${name} must be host:port, not "${addr}"`);
    }
  }
  return addrs;
}

type Flags = ReturnType<typeof parseFlags>;

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        "data-dir": { type: "string" },
        id: { type: "string" },
        trackers: { type: "string" },
        peer: { type: "string", multiple: true },
        "cluster-secret": { type: "string" },
        balancer: { type: "string", multiple: true },
        advertise: { type: "string" },
        "ticket-lifetime": { type: "string" },
        status: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function buildConfig(flags: Flags): Promise<TrackerConfig> {
  const config = defaultConfig();
  const env = (name: string) => Deno.env.get(name);
  config.host = flags.host ?? env("TRACKER_HOST") ?? config.host;
  const portText = flags.port ?? env("TRACKER_PORT");
  if (portText !== undefined) config.port = intFlag("port", portText, 0, 65535);
  const idText = flags.id ?? env("TRACKER_ID");
  if (idText !== undefined) config.id = intFlag("id", idText, 1, 99_999);
  const trackersFile = flags.trackers ?? env("TRACKER_TRACKERS");
  config.peers = checkAddrs("peer", flags.peer ?? envList("TRACKER_PEERS"));
  if (trackersFile !== undefined) {
    if (idText === undefined) {
      throw new UsageError("--trackers needs --id N (its line in the file)");
    }
    let text: string;
    try {
      text = await Deno.readTextFile(trackersFile);
    } catch (error) {
      throw new UsageError(
        `cannot read --trackers file ${trackersFile}: ${(error as Error).message}`,
      );
    }
    let picked: { self: string; peers: string[] };
    try {
      picked = pickSelf(parseTrackerInfo(text), config.id);
    } catch (error) {
      throw new UsageError(`--trackers ${trackersFile}: ${(error as Error).message}`);
    }
    const self = parseHostPort(picked.self);
    if (flags.host === undefined && env("TRACKER_HOST") === undefined) config.host = self.hostname;
    if (portText === undefined) config.port = self.port;
    config.peers = [...picked.peers, ...config.peers];
  }
  if (config.peers.length > 0 && idText === undefined) {
    throw new UsageError("--peer needs --id N: every tracker of a cluster needs its own id");
  }
  config.clusterSecret = flags["cluster-secret"] ?? env("TRACKER_CLUSTER_SECRET");
  if (config.peers.length > 0 && (config.clusterSecret ?? "") === "") {
    throw new UsageError("peers need --cluster-secret (or TRACKER_CLUSTER_SECRET)");
  }
  const advertise = flags.advertise ?? env("TRACKER_ADVERTISE");
  if (advertise !== undefined) config.advertiseAddr = checkAddrs("advertise", [advertise])[0];
  const lifetimeText = flags["ticket-lifetime"] ?? env("TRACKER_TICKET_LIFETIME_MS");
  if (lifetimeText !== undefined) {
    config.ticketLifetimeMs = intFlag("ticket-lifetime", lifetimeText, 1000, 86_400_000);
  }
  config.balancers = checkAddrs("balancer", flags.balancer ?? envList("TRACKER_BALANCER"));
  const suffix = idText !== undefined ? `id${config.id}` : String(config.port);
  config.dataDir = flags["data-dir"] ?? env("TRACKER_DATA_DIR") ?? `.data/tracker-${suffix}`;
  // deno-lint-ignore no-console
  config.log = (line) => console.error(line);
  // An op that cannot be made durable must not be acknowledged: stop at once.
  config.onFatal = () => Deno.exit(1);
  return config;
}

async function printStatus(addr: string): Promise<number> {
  const client = await RpcClient.connect(addr);
  try {
    const status = await client.request<TrackerReplies["status"]>("status");
    const lines = [`tracker ${status.id} at ${status.addr}`];
    lines.push(`version vector: ${JSON.stringify(status.versionVector)}`);
    const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(0)} MiB`;
    lines.push(
      `memory: ${mib(status.memory.rssBytes)} resident, ${mib(status.memory.peakRssBytes)} at peak`,
    );
    for (const link of status.links) {
      lines.push(`link ${link.peer}: ${link.state}, ${link.behind} ops behind`);
    }
    if (status.links.length === 0) lines.push("no cluster links");
    // deno-lint-ignore no-console
    console.log(lines.join("\n"));
    return 0;
  } finally {
    client.close();
  }
}

async function main(args: string[]): Promise<number> {
  let flags: Flags;
  let config: TrackerConfig;
  try {
    flags = parseFlags(args);
    if (flags.help === true) {
      // deno-lint-ignore no-console
      console.log(HELP);
      return 0;
    }
    if (flags.status !== undefined) {
      return await printStatus(checkAddrs("status", [flags.status])[0]!);
    }
    config = await buildConfig(flags);
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(`tracker: ${(error as Error).message}`);
    return error instanceof UsageError ? 2 : 1;
  }
  let tracker: Awaited<ReturnType<typeof startTracker>>;
  try {
    tracker = await startTracker(config);
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(
      `tracker: cannot start on ${config.host}:${config.port}: ${(error as Error).message}`,
    );
    return 1;
  }
  // deno-lint-ignore no-console
  console.log(readyLine("tracker", tracker.addr));
  const stopped = Promise.withResolvers<void>();
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await stopped.promise;
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  await tracker.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
