/**
 * The balancer program: parses flags and environment, starts the server,
 * prints `balancer ready <host:port>`, and closes cleanly on SIGINT/SIGTERM.
 */
import { readyLine } from "../protocol/programs.ts";
import { restrictUmask } from "../protocol/private_files.ts";
import { parseArgs } from "node:util";
import { BALANCER_ENV, type BalancerConfig, defaultBalancerConfig } from "./config.ts";
import { type BalancerHandle, startBalancer } from "./balancer_server.ts";

const USAGE = `Usage: balancer [options]

Hands each client the least-loaded live tracker. Trackers register with it
and report their load; it pings them and stops handing out one that misses
its pings.

Options:
  --host HOST            interface to listen on (default 127.0.0.1; env ${BALANCER_ENV.host})
  --port PORT            port to listen on, 0 picks a free one (default 7100; env ${BALANCER_ENV.port})
  --ping-interval MS     time between health pings (default 1000; env ${BALANCER_ENV.pingIntervalMs})
  --ping-timeout MS      time a ping may take (default 1000; env ${BALANCER_ENV.pingTimeoutMs})
  --max-misses N         missed pings in a row before a tracker is out
                         (default 3; env ${BALANCER_ENV.maxMisses})
  -h, --help             show this help
`;

type Numeric = "port" | "pingIntervalMs" | "pingTimeoutMs" | "maxMisses";

function numberSetting(
  name: Numeric,
  flag: string | undefined,
  fallback: number,
  min: number,
): number {
  const text = flag ?? Deno.env.get(BALANCER_ENV[name]);
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || (name === "port" && value > 65535)) {
    throw new Error(`Invalid ${name === "port" ? "port" : name}: "${text}"`);
  }
  return value;
}

/**
 * Builds the config from command-line flags and environment variables.
 * @returns the config, or null when help was asked for
 * @throws {Error} on an unknown flag or a bad value
 */
export function configFromArgs(args: string[]): BalancerConfig | null {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "ping-interval": { type: "string" },
      "ping-timeout": { type: "string" },
      "max-misses": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return null;
  const base = defaultBalancerConfig();
  return {
    ...base,
    host: values.host ?? Deno.env.get(BALANCER_ENV.host) ?? base.host,
    port: numberSetting("port", values.port, base.port, 0),
    pingIntervalMs: numberSetting(
      "pingIntervalMs",
      values["ping-interval"],
      base.pingIntervalMs,
      1,
    ),
    pingTimeoutMs: numberSetting("pingTimeoutMs", values["ping-timeout"], base.pingTimeoutMs, 1),
    maxMisses: numberSetting("maxMisses", values["max-misses"], base.maxMisses, 1),
  };
}

async function main(args: string[]): Promise<number> {
  let config: BalancerConfig | null;
  try {
    config = configFromArgs(args);
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
  log(`${await untilSignal()}: closing`);
  await balancer.close();
  return 0;
}

/** Waits for SIGINT or SIGTERM, which no longer exit the process by themselves. */
async function untilSignal(): Promise<Deno.Signal> {
  const stopped = Promise.withResolvers<Deno.Signal>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const listeners = signals.map((signal) => {
    const listener = () => stopped.resolve(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  const signal = await stopped.promise;
  for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
  return signal;
}

if (import.meta.main) {
  restrictUmask(); // whatever it writes is its owner's only
  Deno.exit(await main(Deno.args));
}
