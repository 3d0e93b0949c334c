/**
 * The balancer program: parses flags and environment, starts the server,
 * prints `balancer ready <host:port>`, and closes cleanly on SIGINT/SIGTERM.
 */
import { readyLine, untilSignal } from "../protocol/programs.ts";
import { dashboardLine } from "../protocol/http_page.ts";
import { restrictUmask } from "../protocol/private_files.ts";
import { readSecretFile } from "../protocol/secret_file.ts";
import { type Env, flagHelp, parseFlags, UsageError } from "../protocol/cli_flags.ts";
import { tlsFlagValues, tlsSettings } from "../protocol/tls_flags.ts";
import { BALANCER_FLAGS, type BalancerConfig, defaultBalancerConfig } from "./config.ts";
import { type BalancerHandle, startBalancer } from "./balancer_server.ts";

const USAGE = `Usage: balancer [options]

Hands each client the least-loaded live tracker. Trackers register with it
and report their load; it pings them and stops handing out one that misses
its pings. With the cluster secret it takes only trackers that prove they
know it; without one, only trackers on loopback addresses.

Options (environment variable in brackets):
${flagHelp(BALANCER_FLAGS)}
`;

/**
 * Builds the config from command-line flags and environment variables.
 * @returns the config, or null when help was asked for
 * @throws {UsageError} on an unknown flag or a bad value
 */
export async function configFromArgs(args: string[], env: Env): Promise<BalancerConfig | null> {
  const flags = parseFlags(args, env, BALANCER_FLAGS);
  if (flags.bool("help")) return null;
  const base = defaultBalancerConfig();
  const ms = (name: string, fallback: number) => flags.int(name, 1, 3_600_000) ?? fallback;
  const host = flags.string("host") ?? base.host;
  const tls = await tlsSettings(tlsFlagValues(flags), { listenHost: host, dials: [] });
  // deno-lint-ignore no-console
  for (const warning of tls.warnings) console.error(`balancer: ${warning}`);
  return {
    ...base,
    host,
    tls: tls.identity,
    tlsCaCerts: tls.caCerts,
    port: flags.int("port", 0, 65535) ?? base.port,
    ...optionalPort(flags.int("http-port", 0, 65535)),
    pingIntervalMs: ms("ping-interval", base.pingIntervalMs),
    pingTimeoutMs: ms("ping-timeout", base.pingTimeoutMs),
    maxMisses: flags.int("max-misses", 1, 1000) ?? base.maxMisses,
    maxConnectionsPerSource: flags.int("max-conns-per-address", 1, 1_000_000) ??
      base.maxConnectionsPerSource,
    idleTimeoutMs: flags.int("idle-timeout", 100, 3_600_000) ?? base.idleTimeoutMs,
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
  let config: BalancerConfig | null;
  try {
    config = await configFromArgs(args, Deno.env.toObject());
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(`balancer: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (config === null) {
    // deno-lint-ignore no-console
    console.log(USAGE);
    return 0;
  }
  // deno-lint-ignore no-console
  const log = (line: string) => console.error(`[balancer] ${line}`);
  let balancer: BalancerHandle;
  try {
    balancer = await startBalancer({ ...config, log });
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(
      `balancer: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
    );
    return 1;
  }
  // deno-lint-ignore no-console
  console.log(readyLine("balancer", balancer.addr));
  const dashboard = balancer.dashboardUrl;
  // deno-lint-ignore no-console
  if (dashboard !== undefined) console.log(dashboardLine("balancer", dashboard));
  log(`${await untilSignal()}: closing`);
  await balancer.close();
  return 0;
}

if (import.meta.main) {
  restrictUmask(); // whatever it writes is its owner's only
  Deno.exit(await main(Deno.args));
}
