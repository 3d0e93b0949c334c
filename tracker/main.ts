/**
 * `deno task tracker`: parses flags (and their environment variables), starts
 * the tracker, prints `tracker ready <host:port>`, and on SIGINT/SIGTERM
 * closes everything cleanly. `--status host:port` prints a running tracker's
 * cluster links instead.
 */
import { readyLine, untilStopped } from "../protocol/programs.ts";
import {
  errorLine,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  explainError,
  runProgram,
  usageLine,
  versionText,
} from "../protocol/cli_program.ts";
import { DataDirLockedError, lockDataDir } from "../protocol/data_dir_lock.ts";
import { createEventLog, levelOf, logSettings } from "../protocol/event_log.ts";
import { dashboardLine } from "../protocol/http_page.ts";
import { restrictUmask } from "../protocol/private_files.ts";
import { readSecretFile } from "../protocol/secret_file.ts";
import { flagHelp, type FlagValues, parseFlags, UsageError } from "../protocol/cli_flags.ts";
import { parseHostPort } from "../protocol/conn_io.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { readCaCerts } from "../protocol/tls.ts";
import { tlsFlagValues, tlsSettings } from "../protocol/tls_flags.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import {
  defaultConfig,
  defaultDataDir,
  MAX_CLOCK_SKEW_FLAG_SECS,
  MAX_CONNECTIONS_FLAG,
  MAX_ID,
  MAX_PEER_LEASE_MS,
  MAX_SESSION_TTL_MS,
  MAX_TICKET_LIFETIME_MS,
  MIN_PEER_LEASE_MS,
  MIN_TICKET_LIFETIME_MS,
  TRACKER_FLAGS,
  type TrackerConfig,
} from "./config.ts";
import { openFilesWarning, RESERVED_FILES, roomForFiles } from "./open_files.ts";
import { startTracker } from "./tracker_server.ts";
import { batchedLines } from "./batched_stderr.ts";
import { pickSelf } from "./tracker_info.ts";
import { parseTrackerList } from "../protocol/tracker_list.ts";

/** The event log's lines, written once per turn. */
const eventLines = batchedLines();

const HELP = `${usageLine("tracker", "[TRACKER_INFO_FILE ID]")}

Runs a tracker: the metadata server of users, groups and shared files.
The original form \`tracker tracker_info.txt 1\` means --trackers tracker_info.txt --id 1.
Type quit (or press Ctrl-C) to stop it.

Options (environment variable in brackets):
${flagHelp(TRACKER_FLAGS)}

Settings can also come from a .env file: deno run --env-file=.env ...`;

// From a file, else the environment; the flag form still works but warns:
// anyone on the machine can read it in the process list.
function clusterSecret(flags: FlagValues): string | undefined {
  const file = flags.string("cluster-secret-file");
  if (file !== undefined && flags.given("cluster-secret")) {
    throw new UsageError("give --cluster-secret-file or --cluster-secret, not both");
  }
  if (file !== undefined) {
    try {
      return readSecretFile(file);
    } catch (error) {
      throw new UsageError(`--cluster-secret-file: ${(error as Error).message}`);
    }
  }
  if (flags.given("cluster-secret")) {
    // deno-lint-ignore no-console
    console.error(
      "tracker: warning: --cluster-secret shows in the process list; " +
        "use --cluster-secret-file or TRACKER_CLUSTER_SECRET",
    );
  }
  return flags.string("cluster-secret");
}

async function buildConfig(flags: FlagValues): Promise<TrackerConfig> {
  const config = defaultConfig();
  config.host = flags.string("host") ?? config.host;
  const port = flags.port("port");
  if (port !== undefined) config.port = port;
  const httpPort = flags.port("http-port");
  if (httpPort !== undefined) config.httpPort = httpPort;
  const [infoFile, infoId] = flags.positionals;
  if (infoFile !== undefined && (flags.has("trackers") || flags.has("id"))) {
    throw new UsageError(`give "${infoFile}" or --trackers/--id, not both`);
  }
  if (infoFile !== undefined && infoId === undefined) {
    throw new UsageError(`"${infoFile}" needs the tracker's id after it: tracker ${infoFile} 1`);
  }
  if (infoId !== undefined && !/^\d+$/.test(infoId)) {
    throw new UsageError(`"${infoId}" is not a tracker id (1-${MAX_ID})`);
  }
  const id = infoId !== undefined ? Number(infoId) : flags.int("id", 1, MAX_ID);
  if (id !== undefined && (id < 1 || id > MAX_ID)) {
    throw new UsageError(`--id: "${id}" must be an integer from 1 to ${MAX_ID}`);
  }
  if (id !== undefined) config.id = id;
  const trackersFile = infoFile ?? flags.string("trackers");
  config.peers = flags.addrs("peer");
  if (trackersFile !== undefined) {
    if (id === undefined) {
      throw new UsageError("--trackers needs --id N (its line in the file)");
    }
    let text: string;
    try {
      text = await Deno.readTextFile(trackersFile);
    } catch (error) {
      throw new UsageError(`--trackers: ${explainError(error, `read ${trackersFile}`)}`);
    }
    let picked: { self: string; peers: string[] };
    try {
      picked = pickSelf(parseTrackerList(text), config.id);
    } catch (error) {
      throw new UsageError(`--trackers ${trackersFile}: ${(error as Error).message}`);
    }
    const self = parseHostPort(picked.self);
    if (!flags.has("host")) config.host = self.hostname;
    if (port === undefined) config.port = self.port;
    config.peers = [...picked.peers, ...config.peers];
  }
  if (config.peers.length > 0 && id === undefined) {
    throw new UsageError("--peer needs --id N: every tracker of a cluster needs its own id");
  }
  config.clusterSecret = clusterSecret(flags);
  if (config.peers.length > 0 && (config.clusterSecret ?? "") === "") {
    throw new UsageError(
      "peers need --cluster-secret-file (or TRACKER_CLUSTER_SECRET_FILE, TRACKER_CLUSTER_SECRET)",
    );
  }
  config.sessionTtlMs = flags.duration("session-ttl", MAX_SESSION_TTL_MS) ?? config.sessionTtlMs;
  config.peerLeaseMs = flags.int("peer-lease", MIN_PEER_LEASE_MS, MAX_PEER_LEASE_MS) ??
    config.peerLeaseMs;
  config.ticketLifetimeMs =
    flags.int("ticket-lifetime", MIN_TICKET_LIFETIME_MS, MAX_TICKET_LIFETIME_MS) ??
      config.ticketLifetimeMs;
  config.maxConnectionsPerSource = flags.int("max-conns-per-address", 1, 1_000_000) ??
    config.maxConnectionsPerSource;
  config.idleTimeoutMs = flags.int("idle-timeout", 100, 3_600_000) ?? config.idleTimeoutMs;
  config.advertiseAddr = flags.addr("advertise");
  config.balancers = flags.addrs("balancer");
  config.maxConnections = flags.int("max-connections", 1, MAX_CONNECTIONS_FLAG) ??
    config.maxConnections;
  const skewSecs = flags.int("max-clock-skew", 1, MAX_CLOCK_SKEW_FLAG_SECS);
  if (skewSecs !== undefined) config.maxClockSkewMs = skewSecs * 1000;
  const tls = await tlsSettings(tlsFlagValues(flags), {
    listenHost: config.host,
    dials: [...config.peers, ...config.balancers],
  }).catch((error) => {
    throw new UsageError((error as Error).message);
  });
  config.tls = tls.identity;
  config.tlsCaCerts = tls.caCerts;
  // deno-lint-ignore no-console
  for (const warning of tls.warnings) console.error(`tracker: ${warning}`);
  config.dataDir = flags.string("data-dir") ??
    defaultDataDir(id !== undefined ? `id${config.id}` : String(config.port));
  const log = createEventLog("tracker", logSettings(flags), (line) => eventLines.write(line));
  config.log = (line) => log(levelOf(line), line.replace(/^tracker: /, ""));
  return config;
}

async function printStatus(addr: string, caPath: string | undefined): Promise<number> {
  const caCerts = caPath === undefined ? undefined : await readCaCerts(caPath);
  const client = await RpcClient.connect(addr, { caCerts });
  try {
    const status = await client.request<TrackerReplies["status"]>("status");
    const lines = [`tracker ${status.id} at ${status.addr}`];
    lines.push(`version vector: ${JSON.stringify(status.versionVector)}`);
    const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(0)} MiB`;
    lines.push(
      `memory: ${mib(status.memory.rssBytes)} resident, ${mib(status.memory.peakRssBytes)} at peak`,
    );
    lines.push(`writes: ${status.writes}`);
    for (const link of status.links) {
      const digest = link.digest === "mismatch" ? ", STATE DIGESTS DIFFER" : "";
      const paused = link.paused.length === 0 ? "" : `, waiting on origins ${link.paused}`;
      lines.push(`link ${link.peer}: ${link.state}, ${link.behind} ops behind${paused}${digest}`);
    }
    const { count, recent } = status.conflicts;
    if (count > 0) lines.push(`${count} conflicting ops refused; latest:`);
    for (const c of recent) {
      lines.push(`  op ${c.origin}/${c.seq} from tracker ${c.from}: ${c.reason}`);
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
  let config: TrackerConfig;
  try {
    const flags = parseFlags(args, Deno.env.toObject(), TRACKER_FLAGS, { maxPositionals: 2 });
    if (flags.bool("help")) {
      // deno-lint-ignore no-console
      console.log(HELP);
      return EXIT_OK;
    }
    if (flags.bool("version")) {
      // deno-lint-ignore no-console
      console.log(versionText("tracker"));
      return EXIT_OK;
    }
    const status = flags.addr("status");
    if (status !== undefined) {
      return await printStatus(status, flags.string("tls-ca")).catch((error) => {
        // deno-lint-ignore no-console
        console.error(errorLine(
          "tracker",
          `--status: ${(error as Error).message.split("\n")[0]}; is a tracker running there?`,
        ));
        return EXIT_FAILURE;
      });
    }
    config = await buildConfig(flags);
  } catch (error) {
    const usage = error instanceof UsageError;
    const text = usage ? (error as Error).message : explainError(error, "read the settings");
    // deno-lint-ignore no-console
    console.error(
      errorLine("tracker", usage && !/--help/.test(text) ? `${text} (see --help)` : text),
    );
    return usage ? EXIT_USAGE : EXIT_FAILURE;
  }
  let lock;
  try {
    lock = await lockDataDir(config.dataDir);
  } catch (error) {
    const text = error instanceof DataDirLockedError
      ? error.message
      : explainError(error, `use --data-dir ${config.dataDir}`);
    // deno-lint-ignore no-console
    console.error(errorLine("tracker", text));
    return EXIT_FAILURE;
  }
  const room = roomForFiles(config.maxConnections + RESERVED_FILES);
  const fewFiles = openFilesWarning(room, config.maxConnections);
  let tracker: Awaited<ReturnType<typeof startTracker>>;
  try {
    tracker = await startTracker(config);
  } catch (error) {
    lock.release();
    eventLines.flush();
    // deno-lint-ignore no-console
    console.error(
      errorLine("tracker", explainError(error, `start on ${config.host}:${config.port}`)),
    );
    return EXIT_FAILURE;
  }
  // Listening for signals before the ready line: a stop right after it is clean too.
  const stopped = untilStopped();
  eventLines.flush(); // what it logged while starting comes before the ready line
  // deno-lint-ignore no-console
  console.log(readyLine("tracker", tracker.addr));
  const dashboard = tracker.dashboardUrl;
  // deno-lint-ignore no-console
  if (dashboard !== undefined) console.log(dashboardLine("tracker", dashboard));
  // deno-lint-ignore no-console
  if (fewFiles !== undefined) console.error(`tracker: ${fewFiles}`);
  config.log(`tracker ${config.id} serving ${tracker.addr} with data in ${config.dataDir}`);
  const reason = await stopped;
  await tracker.close();
  lock.release();
  config.log(`tracker: stopped (${reason})`);
  eventLines.flush();
  return EXIT_OK;
}

if (import.meta.main) {
  restrictUmask(); // whatever it writes is its owner's only
  Deno.exit(await runProgram("tracker", () => main(Deno.args)));
}
