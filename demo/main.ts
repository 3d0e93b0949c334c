/**
 * `deno task demo`: on one machine, with no configuration, starts a balancer,
 * three replicating trackers and three clients in a temporary directory,
 * shares a generated file from two clients, downloads it on the third from
 * both, kills that client's tracker with SIGKILL mid-way, and shows the client
 * carrying on. Narrates each step as `[demo] ...`, removes everything it made
 * however it ends (Ctrl-C included), and exits 0 only when the file arrived
 * intact.
 */
import { parseArgs } from "node:util";
import { Children } from "./children.ts";
import { runDemo } from "./scenario.ts";
import type { Cluster } from "./demo_cluster.ts";
import { join } from "node:path";
import { writeClusterCerts } from "../certs/cluster_certs.ts";

/** The names the demo's programs are dialed at. */
const DEMO_HOSTS = ["127.0.0.1", "localhost"];

const USAGE = `Usage: deno task demo [--size-mib N] [--tls] [--keep]

Starts a balancer, three trackers and three clients on 127.0.0.1, shares a
file of random bytes from two clients, downloads it on the third from both,
kills the downloader's tracker, and checks the download's SHA-256.

Options:
  --size-mib N   size of the shared file in MiB (default 24)
  --tls          run every connection over TLS: a cluster CA and certificates are made
                 in the temporary directory, as by deno task certs
  --keep         after the story, leave every program running until Ctrl-C, to watch
                 the dashboards and kill a tracker by hand; the temporary directory
                 is kept too (its path is printed)
  -h, --help     show this help`;

// deno-lint-ignore no-console
const say = (line: string) => console.log(`[demo] ${line}`);

function parseFlags(args: string[]): { sizeBytes: number; keep: boolean; tls: boolean } | null {
  const { values } = parseArgs({
    args,
    options: {
      "size-mib": { type: "string" },
      keep: { type: "boolean" },
      tls: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return null;
  const mib = Number(values["size-mib"] ?? "24");
  if (!(mib > 0 && mib <= 4096)) throw new Error(`--size-mib must be from 0 to 4096, not ${mib}`);
  return {
    sizeBytes: Math.round(mib * 1024 * 1024),
    keep: values.keep ?? false,
    tls: values.tls ?? false,
  };
}

async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(args);
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(`demo: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags === null) {
    // deno-lint-ignore no-console
    console.log(USAGE);
    return 0;
  }
  const dir = await Deno.makeTempDir({ prefix: "p2p-demo-" });
  const children = new Children();
  let cleaned: Promise<void> | undefined;
  const cleanUp = () => {
    cleaned ??= (async () => {
      await children.killAll();
      if (!flags.keep) await Deno.remove(dir, { recursive: true }).catch(() => {});
      say(
        flags.keep ? `stopped every process; kept ${dir}` : "stopped every process, removed " + dir,
      );
    })();
    return cleaned;
  };
  let succeeded = false;
  const onSignal = () => {
    say(succeeded ? "stopping" : "interrupted; cleaning up");
    cleanUp().finally(() => Deno.exit(succeeded ? 0 : 130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  say(`working in ${dir}`);
  try {
    const tls = flags.tls ? await writeClusterCerts(join(dir, "certs"), DEMO_HOSTS) : undefined;
    if (tls !== undefined) {
      say(`made a cluster CA and tracker and balancer certificates in ${join(dir, "certs")}`);
    }
    const cluster = await runDemo(children, { dir, sizeBytes: flags.sizeBytes, say, tls });
    say("demo succeeded");
    if (flags.keep) {
      succeeded = true;
      await keepRunning(cluster);
    }
    return 0;
  } catch (error) {
    say(`FAILED: ${(error as Error).message}`);
    return 1;
  } finally {
    await cleanUp();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

/** Leaves the cluster running, says how to watch and poke it, and waits for Ctrl-C. */
function keepRunning(cluster: Cluster): Promise<never> {
  say("everything keeps running; the pages:");
  for (const [name, url] of cluster.dashboards) say(`  ${name}: ${url}`);
  const live = cluster.trackers.filter((t) => !t.exited);
  if (live[0] !== undefined) {
    say(
      `kill a tracker by hand (e.g. kill -9 ${live[0].pid} for ${live[0].name}) and watch the ` +
        "balancer's page take it out and its clients move; Ctrl-C stops everything",
    );
  }
  return new Promise<never>(() => {});
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
