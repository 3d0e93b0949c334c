/**
 * The balancer program: parses flags and environment, starts the server,
 * prints `balancer ready <host:port>`, and closes cleanly on SIGINT/SIGTERM.
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
import { dashboardLine } from "../protocol/http_page.ts";
import { restrictUmask } from "../protocol/private_files.ts";
import { readSecretFile } from "../protocol/secret_file.ts";
import { type Env, flagHelp, parseFlags, UsageError } from "../protocol/cli_flags.ts";
import { tlsFlagValues, tlsSettings } from "../protocol/tls_flags.ts";
import { createEventLog, levelOf, logSettings } from "../protocol/event_log.ts";
import { BALANCER_FLAGS, type BalancerConfig, defaultBalancerConfig } from "./config.ts";
import { type BalancerHandle, startBalancer } from "./balancer_server.ts";

const USAGE = `${usageLine("balancer")}

Hands each client the least-loaded live tracker. Trackers register with it
and report their load; it pings them and stops handing out one that misses
its pings. With the cluster secret it takes only trackers that prove they
know it; without one, only trackers on loopback addresses.

Options (environment variable in brackets):
${flagHelp(BALANCER_FLAGS)}
`;

/**
 * Builds the config from command-line flags and environment variables.
 * @returns the config, or "help" or "version" when that was asked for
 * @throws {UsageError} on an unknown flag or a bad value
 */
export async function configFromArgs(
  args: string[],
  env: Env,
): Promise<
  (BalancerConfig & { logSettings: ReturnType<typeof logSettings> }) | "help" | "version"
> {
  const flags = parseFlags(args, env, BALANCER_FLAGS);
  if (flags.bool("help")) return "help";
  if (flags.bool("version")) return "version";
  const base = defaultBalancerConfig();
  const ms = (name: string, fallback: number) => flags.int(name, 1, 3_600_000) ?? fallback;
  const host = flags.string("host") ?? base.host;
  const tls = await tlsSettings(tlsFlagValues(flags), { listenHost: host, dials: [] })
    .catch((error) => {
      throw new UsageError((error as Error).message);
    });
  // deno-lint-ignore no-console
  for (const warning of tls.warnings) console.error(`balancer: ${warning}`);
  return {
    ...base,
    host,
    tls: tls.identity,
    tlsCaCerts: tls.caCerts,
    port: flags.port("port") ?? base.port,
    ...optionalPort(flags.port("http-port")),
    pingIntervalMs: ms("ping-interval", base.pingIntervalMs),
    pingTimeoutMs: ms("ping-timeout", base.pingTimeoutMs),
    maxMisses: flags.int("max-misses", 1, 1000) ?? base.maxMisses,
    maxConnectionsPerSource: flags.int("max-conns-per-address", 1, 1_000_000) ??
      base.maxConnectionsPerSource,
    idleTimeoutMs: flags.int("idle-timeout", 100, 3_600_000) ?? base.idleTimeoutMs,
    logSettings: logSettings(flags),
    clusterSecret: clusterSecret(
      flags.string("cluster-secret"),
      flags.string("cluster-secret-file"),
    ),
  };
}

/** `{ httpPort }` when the flag is given, else nothing. */
function optionalPort(httpPort: number | undefined): { httpPort?: number } {
  return httpPort === undefined ? {} : { httpPort };
}

/** The secret from its flag (or variable), else its file; undefined when none. */
function clusterSecret(
  secretFlag: string | undefined,
  path: string | undefined,
): string | undefined {
  if (secretFlag !== undefined) {
    // deno-lint-ignore no-console
    console.error(
      "balancer: warning: a secret given by --cluster-secret or its variable shows in the " +
        "process list or environment of this process; prefer --cluster-secret-file",
    );
    return secretFlag;
  }
  if (path === undefined) return undefined;
  try {
    return readSecretFile(path);
  } catch (error) {
    throw new UsageError(`--cluster-secret-file: ${(error as Error).message}`);
  }
}

async function main(args: string[]): Promise<number> {
  let config: Awaited<ReturnType<typeof configFromArgs>>;
  try {
    config = await configFromArgs(args, Deno.env.toObject());
  } catch (error) {
    const usage = error instanceof UsageError;
    const text = usage ? (error as Error).message : explainError(error, "read the settings");
    // deno-lint-ignore no-console
    console.error(
      errorLine("balancer", usage && !/--help/.test(text) ? `${text} (see --help)` : text),
    );
    return usage ? EXIT_USAGE : EXIT_FAILURE;
  }
  if (config === "help" || config === "version") {
    // deno-lint-ignore no-console
    console.log(config === "help" ? USAGE : versionText("balancer"));
    return EXIT_OK;
  }
  // deno-lint-ignore no-console
  const events = createEventLog("balancer", config.logSettings, (line) => console.error(line));
  const log = (line: string) => events(levelOf(line), line);
  let balancer: BalancerHandle;
  try {
    balancer = await startBalancer({ ...config, log });
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(
      errorLine("balancer", explainError(error, `listen on ${config.host}:${config.port}`)),
    );
    return EXIT_FAILURE;
  }
  // Listening for signals before the ready line: a stop right after it is clean too.
  const stopped = untilStopped();
  // deno-lint-ignore no-console
  console.log(readyLine("balancer", balancer.addr));
  const dashboard = balancer.dashboardUrl;
  // deno-lint-ignore no-console
  if (dashboard !== undefined) console.log(dashboardLine("balancer", dashboard));
  log(`serving ${balancer.addr}`);
  const reason = await stopped;
  await balancer.close();
  log(`stopped (${reason})`);
  return EXIT_OK;
}

if (import.meta.main) {
  restrictUmask(); // whatever it writes is its owner's only
  Deno.exit(await runProgram("balancer", () => main(Deno.args)));
}
