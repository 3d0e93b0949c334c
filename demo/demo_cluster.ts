/**
 * Starts the demo's programs: one balancer, a cluster of trackers that know
 * each other as peers and share a generated secret, and clients that know
 * the balancer and every tracker.
 *
 * Every program listens on a port the system picks. Each tracker is told the
 * trackers started before it; a tracker learns of a later one when that one
 * dials in, so the three end up fully linked.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Child, Children } from "./children.ts";
import { ClientDriver } from "./client_driver.ts";
import type { ClusterCertFiles } from "../certs/cluster_certs.ts";

/** The running cluster. */
export interface Cluster {
  balancer: Child;
  trackers: Child[];
  /** Each program's dashboard, by name ("balancer", "tracker 1", "alice's client"...). */
  dashboards: Map<string, string>;
}

/** Matches a dashboard line; group 1 is its address. */
const DASHBOARD_LINE = /^\w+ dashboard (http:\/\/\S+)$/;

/**
 * The page address a program printed after its ready line.
 * @returns the address
 * @throws {Error} when it printed none within a few seconds
 */
async function dashboardOf(child: Child, stream: "stdout" | "stderr"): Promise<string> {
  if (stream === "stdout") return DASHBOARD_LINE.exec(await child.waitForLine(DASHBOARD_LINE))![1]!;
  // The client prints on stderr, right after its ready line.
  for (let i = 0; i < 100; i++) {
    const line = child.stderrLines.find((l) => DASHBOARD_LINE.test(l));
    if (line !== undefined) return DASHBOARD_LINE.exec(line)![1]!;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${child.name} printed no dashboard line`);
}

/**
 * Starts the balancer and `count` trackers.
 * @returns the children, ready
 * @throws {Error} when a program does not get ready
 */
export async function startCluster(
  children: Children,
  options: {
    dir: string;
    count: number;
    say: (line: string) => void;
    tls?: ClusterCertFiles | undefined;
  },
): Promise<Cluster> {
  const { tls } = options;
  // In a file readable by its owner only: a secret on the command line shows in the process list.
  const secretFile = join(options.dir, "cluster.secret");
  await Deno.writeTextFile(secretFile, randomBytes(16).toString("hex"), { mode: 0o600 });
  await Deno.chmod(secretFile, 0o600);
  // The balancer takes only trackers that prove they know the secret.
  const balancer = await children.start("balancer", [
    ...["--port", "0", "--http-port", "0", "--cluster-secret-file", secretFile],
    ...(tls === undefined ? [] : serverTlsArgs(tls, "balancer")),
  ], { readyOn: "stdout" });
  const dashboards = new Map([["balancer", await dashboardOf(balancer, "stdout")]]);
  options.say(`balancer ready at ${balancer.addr} (pid ${balancer.pid})`);
  options.say(`balancer dashboard ${dashboards.get("balancer")} (open it to watch the cluster)`);
  const trackers: Child[] = [];
  for (let id = 1; id <= options.count; id++) {
    const peers = trackers.flatMap((t) => ["--peer", t.addr]);
    const tracker = await children.start("tracker", [
      ...["--port", "0", "--http-port", "0", "--id", String(id)],
      ...["--data-dir", join(options.dir, `tracker-${id}`)],
      ...peers,
      ...["--cluster-secret-file", secretFile, "--balancer", balancer.addr],
      ...(tls === undefined ? [] : serverTlsArgs(tls, "tracker")),
    ], { name: `tracker ${id}`, readyOn: "stdout" });
    trackers.push(tracker);
    dashboards.set(tracker.name, await dashboardOf(tracker, "stdout"));
    options.say(
      `tracker ${id} ready at ${tracker.addr} (pid ${tracker.pid}), page ${
        dashboards.get(tracker.name)
      }`,
    );
  }
  if (tls !== undefined) {
    options.say("the balancer and trackers serve TLS; every link between them is TLS too");
  }
  options.say(
    `the ${trackers.length} trackers replicate to each other (generated cluster secret) ` +
      "and prove it to the balancer when they register",
  );
  return { balancer, trackers, dashboards };
}

/**
 * Starts one client for `user` in `--json` mode.
 * @returns a driver for it
 */
export async function startClient(
  children: Children,
  user: string,
  options: {
    dir: string;
    cluster: Cluster;
    tls?: ClusterCertFiles | undefined;
    extraArgs?: string[];
  },
): Promise<ClientDriver> {
  const trackers = options.cluster.trackers.flatMap((t) => ["--tracker", t.addr]);
  const child = await children.start("client", [
    ...["--balancer", options.cluster.balancer.addr, ...trackers],
    ...["--data-dir", join(options.dir, user, "data"), "--port", "0", "--http-port", "0", "--json"],
    ...(options.tls === undefined ? [] : ["--tls-ca", options.tls.ca, "--peer-tls"]),
    ...(options.extraArgs ?? []),
  ], { name: `${user}'s client`, readyOn: "stderr" });
  options.cluster.dashboards.set(child.name, await dashboardOf(child, "stderr"));
  return new ClientDriver(child, user);
}

/** A server program's TLS flags: its certificate and key, and the CA its links trust. */
function serverTlsArgs(tls: ClusterCertFiles, program: "tracker" | "balancer"): string[] {
  const own = tls.programs[program];
  return ["--tls-cert", own.cert, "--tls-key", own.key, "--tls-ca", tls.ca];
}
