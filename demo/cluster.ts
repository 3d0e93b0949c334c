/**
 * Starts the demo's programs: one balancer, a cluster of trackers that know
 * each other as peers and share a generated secret, and clients that know
 * the balancer and every tracker.
 *
 * Trackers push their ops to the peers they are told about, so each must be
 * given the others' addresses when it starts; the demo therefore picks free
 * ports first, and tries again with fresh ones if a port was taken meanwhile.
 */
import { join } from "node:path";
import type { Child, Children } from "./children.ts";
import { ClientDriver } from "./client_driver.ts";
import { freePorts } from "./files.ts";

/** The running cluster. */
export interface Cluster {
  balancer: Child;
  trackers: Child[];
}

const TRACKER_START_TRIES = 3;

/**
 * Starts the balancer and `count` trackers.
 * @returns the children, ready
 * @throws {Error} when a program does not get ready
 */
export async function startCluster(
  children: Children,
  options: { dir: string; count: number; say: (line: string) => void },
): Promise<Cluster> {
  const balancer = await children.start("balancer", ["--port", "0"], { readyOn: "stdout" });
  options.say(`balancer ready at ${balancer.addr} (pid ${balancer.pid})`);
  const secret = Array.from(crypto.getRandomValues(new Uint8Array(16)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  for (let attempt = 1;; attempt++) {
    try {
      const trackers = await startTrackers(children, balancer.addr, secret, options);
      return { balancer, trackers };
    } catch (error) {
      if (attempt >= TRACKER_START_TRIES) throw error;
      options.say(`a tracker did not start (${(error as Error).message}); trying other ports`);
    }
  }
}

async function startTrackers(
  children: Children,
  balancerAddr: string,
  secret: string,
  options: { dir: string; count: number; say: (line: string) => void },
): Promise<Child[]> {
  const addrs = freePorts(options.count).map((port) => `127.0.0.1:${port}`);
  const started: Child[] = [];
  for (const [i, addr] of addrs.entries()) {
    const id = i + 1;
    const peers = addrs.filter((other) => other !== addr).flatMap((peer) => ["--peer", peer]);
    const tracker = await children.start("tracker", [
      ...["--port", addr.slice(addr.lastIndexOf(":") + 1), "--id", String(id)],
      ...["--data-dir", join(options.dir, `tracker-${id}`)],
      ...peers,
      ...["--cluster-secret", secret, "--balancer", balancerAddr],
    ], { name: `tracker ${id}`, readyOn: "stdout" }).catch(async (error) => {
      for (const t of started) t.kill("SIGKILL");
      await Promise.all(started.map((t) => t.status));
      throw error;
    });
    started.push(tracker);
    options.say(`tracker ${id} ready at ${tracker.addr} (pid ${tracker.pid})`);
  }
  options.say(
    `the ${started.length} trackers replicate to each other (generated cluster secret) ` +
      "and register with the balancer",
  );
  return started;
}

/**
 * Starts one client for `user` in `--json` mode.
 * @returns a driver for it
 */
export async function startClient(
  children: Children,
  user: string,
  options: { dir: string; cluster: Cluster },
): Promise<ClientDriver> {
  const trackers = options.cluster.trackers.flatMap((t) => ["--tracker", t.addr]);
  const child = await children.start("client", [
    ...["--balancer", options.cluster.balancer.addr, ...trackers],
    ...["--data-dir", join(options.dir, user, "data"), "--port", "0", "--json"],
  ], { name: `${user}'s client`, readyOn: "stderr" });
  return new ClientDriver(child, user);
}
