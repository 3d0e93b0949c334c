/**
 * The demo's story, step by step: accounts and a group, one file shared by
 * two people, downloaded by a third from both, and the tracker the
 * downloader uses killed halfway, with the downloader carrying on.
 *
 * Trackers replicate asynchronously, so a step that depends on something
 * done through another tracker (a group created elsewhere, a join request,
 * an upload) is retried for a few seconds until the change has arrived.
 */
import { basename, join } from "node:path";
import { RpcClient } from "../protocol/rpc_client.ts";
import type { BalancerReplies } from "../protocol/balancer_messages.ts";
import type { Children } from "./children.ts";
import type { ClusterCertFiles } from "../certs/cluster_certs.ts";
import type { ClientDriver } from "./client_driver.ts";
import { type Cluster, startClient, startCluster } from "./demo_cluster.ts";
import { sha256File, writeRandomFile } from "./files.ts";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** The working directory, removed by the caller afterwards. */
  dir: string;
  /** Size of the shared file. */
  sizeBytes: number;
  /** Prints one narration line. */
  say: (line: string) => void;
  /** The cluster's TLS files: every connection uses TLS. @default undefined (plain TCP) */
  tls?: ClusterCertFiles | undefined;
}

const GROUP = "demo";
const REPLICATION_WAIT_MS = 10_000;

/**
 * Runs the whole demo.
 * @returns the cluster, still running
 * @throws {Error} naming the step that failed
 */
export async function runDemo(children: Children, options: DemoOptions): Promise<Cluster> {
  const { say } = options;
  const { tls } = options;
  const cluster = await startCluster(children, { dir: options.dir, count: 3, say, tls });
  // The seeders upload at most SEEDER_LIMIT each, so the download is still
  // running when its tracker is killed, as it would be over a real network.
  const [alice, bob, carol] = await Promise.all(
    ["alice", "bob", "carol"].map((user) =>
      startClient(children, user, {
        dir: options.dir,
        cluster,
        tls,
        extraArgs: user === "carol" ? [] : ["--upload-limit", SEEDER_LIMIT],
      })
    ),
  ) as [ClientDriver, ClientDriver, ClientDriver];
  say(
    `clients of alice, bob and carol ready (seeders at ${
      [alice, bob, carol].map((c) => c.child.addr).join(", ")
    }; alice and bob upload at most ${SEEDER_LIMIT}iB/s each)`,
  );
  say(`carol's page, to watch her download fill in: ${cluster.dashboards.get("carol's client")}`);
  const trackerOf = new Map<string, string>();
  for (const client of [alice, bob, carol]) {
    await client.ok(["create_user", client.user, `${client.user}-secret`]);
    const login = await client.ok(["login", client.user, `${client.user}-secret`]);
    trackerOf.set(client.user, String(login["tracker"]));
    say(`${client.user} created an account and logged in on tracker ${login["tracker"]}`);
  }
  await formGroup(alice, [bob, carol], say);
  const { name, hash } = await shareFile(alice, bob, options);
  const seeders = new Map([alice, bob].map((c) => [c.child.addr, c.user]));
  await downloadThroughFailover(carol, cluster, { ...options, name, hash, trackerOf, seeders });
  return cluster;
}

async function formGroup(
  owner: ClientDriver,
  joiners: ClientDriver[],
  say: (line: string) => void,
) {
  await owner.ok(["create_group", GROUP]);
  say(`${owner.user} created group "${GROUP}"`);
  for (const joiner of joiners) await eventually(() => joiner.ok(["join_group", GROUP]));
  say(`${joiners.map((j) => j.user).join(" and ")} asked to join "${GROUP}"`);
  await eventually(async () => {
    const { requests } = await owner.ok(["list_requests", GROUP]) as { requests: string[] };
    const missing = joiners.filter((j) => !requests.includes(j.user));
    if (missing.length > 0) throw new Error(`requests of ${missing.map((j) => j.user)} not seen`);
  });
  for (const joiner of joiners) await owner.ok(["accept_request", GROUP, joiner.user]);
  say(`${owner.user} accepted both; the group has three members`);
}

async function shareFile(
  first: ClientDriver,
  second: ClientDriver,
  options: DemoOptions,
): Promise<{ name: string; hash: string }> {
  const mib = (options.sizeBytes / (1024 * 1024)).toFixed(
    options.sizeBytes % (1024 * 1024) ? 1 : 0,
  );
  const name = `holiday-video-${mib}MiB.bin`;
  const firstPath = join(options.dir, first.user, name);
  const secondPath = join(options.dir, second.user, name);
  const hash = await writeRandomFile(firstPath, options.sizeBytes);
  await Deno.copyFile(firstPath, secondPath);
  options.say(`generated ${name}: ${mib} MiB of random bytes, SHA-256 ${hash}`);
  const one = await eventually(() => first.ok(["upload_file", firstPath, GROUP]));
  options.say(`${first.user} shares ${name} in "${GROUP}" (${one["seeders"]} seeder)`);
  const two = await eventually(() => second.ok(["upload_file", secondPath, GROUP]));
  options.say(`${second.user} shares the same file too: now ${two["seeders"]} seeders`);
  return { name, hash };
}

const SEEDER_LIMIT = "6M";

interface DownloadOptions extends DemoOptions {
  name: string;
  hash: string;
  trackerOf: Map<string, string>;
  /** Seeder address to user name, for the narration. */
  seeders: Map<string, string>;
}

async function downloadThroughFailover(
  client: ClientDriver,
  cluster: Cluster,
  options: DownloadOptions,
): Promise<void> {
  const { say, name } = options;
  const seeders = await eventually(async () => {
    const { files } = await client.ok(["list_files", GROUP]) as { files: { seeders: number }[] };
    if (files[0]?.seeders !== 2) throw new Error("both seeders not yet visible");
    return files[0].seeders;
  });
  const dest = join(options.dir, client.user, `downloaded-${basename(name)}`);
  await client.ok(["download_file", GROUP, name, dest]);
  say(`${client.user} started downloading ${name} from its ${seeders} seeders at once`);
  const victimAddr = options.trackerOf.get(client.user)!;
  const victim = cluster.trackers.find((t) => t.addr === victimAddr);
  if (victim === undefined) throw new Error(`${client.user}'s tracker ${victimAddr} is unknown`);
  victim.kill("SIGKILL");
  await victim.status;
  say(
    `killed ${victim.name} at ${victim.addr} (pid ${victim.pid}) with SIGKILL: ` +
      `it was ${client.user}'s tracker`,
  );
  const { files } = await client.ok(["list_files", GROUP]) as { files: unknown[] };
  say(
    `${client.user}'s next command, list_files, was answered: ${files.length} file in "${GROUP}"`,
  );
  const notice = await waitForNotice(client);
  say(`${client.user}'s client said: ${notice}`);
  say(`${client.user}'s show_downloads: ${await midwaySnapshot(client, options.seeders)}`);
  await finishAndVerify(client, dest, options);
  await showOut(cluster.balancer.addr, victim.addr, { say, tls: options.tls });
}

async function finishAndVerify(client: ClientDriver, dest: string, options: DownloadOptions) {
  const { downloads } = await client.ok(["wait"], 120_000) as {
    downloads: { name: string; state: string; error: string | null; peers: unknown[] }[];
  };
  const download = downloads.find((d) => d.name === options.name);
  if (download?.state !== "complete") {
    throw new Error(`the download ended ${download?.state ?? "missing"}: ${download?.error ?? ""}`);
  }
  options.say(`${client.user}'s download finished`);
  const hash = await sha256File(dest);
  if (hash !== options.hash) throw new Error(`SHA-256 mismatch: got ${hash}, want ${options.hash}`);
  options.say(`SHA-256 matched: ${hash}`);
}

/** Polls show_downloads until the download is well under way (or over), and describes it. */
async function midwaySnapshot(client: ClientDriver, names: Map<string, string>): Promise<string> {
  return await eventually(async () => {
    const data = await client.ok(["show_downloads"]);
    const [view] = data["downloads"] as Record<string, unknown>[];
    if (view?.["state"] === "running" && Number(view["percent"]) < 40) throw new Error("early");
    return describeDownload(data, names);
  });
}

function describeDownload(data: Record<string, unknown>, names: Map<string, string>): string {
  const [view] = data["downloads"] as Record<string, unknown>[];
  if (view === undefined) return "no download listed";
  const peers = (view["peers"] ?? []) as { addr: string; bytes: number }[];
  const mib = (bytes: unknown) => `${(Number(bytes) / (1024 * 1024)).toFixed(1)} MiB`;
  const from = peers.map((p) => `${mib(p.bytes)} from ${names.get(p.addr) ?? p.addr}`).join(", ");
  return `${view["state"]}, ${view["percent"]}% (${mib(view["bytesDone"])})` +
    (from === "" ? "" : `: ${from}`);
}

async function waitForNotice(client: ClientDriver): Promise<string> {
  return await eventually(() => {
    const line = client.child.stderrLines.find((l) => l.includes("now using"));
    if (line === undefined) throw new Error("no failover notice from the client");
    return Promise.resolve(line);
  });
}

async function showOut(
  balancerAddr: string,
  deadAddr: string,
  options: { say: (line: string) => void; tls: ClusterCertFiles | undefined },
) {
  const { say } = options;
  const caCerts = options.tls === undefined ? undefined : [await Deno.readTextFile(options.tls.ca)];
  const rpc = await RpcClient.connect(balancerAddr, { caCerts });
  try {
    await eventually(async () => {
      const { trackers } = await rpc.request<BalancerReplies["list_trackers"]>("list_trackers");
      if (trackers.find((t) => t.addr === deadAddr)?.live !== false) throw new Error("still live");
      const live = trackers.filter((t) => t.live).map((t) => t.addr);
      say(`the balancer took ${deadAddr} out; live trackers: ${live.join(", ")}`);
    });
  } finally {
    rpc.close();
    await rpc.closed;
  }
}

/** Retries `step` until it succeeds or REPLICATION_WAIT_MS pass; rethrows the last error. */
async function eventually<T>(step: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + REPLICATION_WAIT_MS;
  while (true) {
    try {
      return await step();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
