/**
 * One download in its own process, for the transfer benchmark, so its memory
 * and CPU figures are its own:
 * `deno run -A bench/download_process.ts MANIFEST.json DEST PEER[,PEER...] [WORKERS [REQUESTS_PER_WORKER]]`,
 * where a PEER is `host:port`, or `host:port=CERT.pem` for a TLS seeder with that certificate.
 * Prints one JSON line: wall time (from startDownload to the verified, renamed
 * file), worker pool start-up, peak RSS and CPU time of the whole process.
 */
import process from "node:process";
import { parseManifest } from "../protocol/manifest.ts";
import { createWorkerPool, defaultWorkerCount, startDownload } from "../client/transfer/mod.ts";
import { benchTicket } from "./bench_ticket.ts";

function peakRssBytes(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? Deno.memoryUsage().rss : Number(kb) * 1024;
}

async function main(args: string[]): Promise<number> {
  const [manifestPath, dest, peerList, workersText, requestsText] = args;
  if (manifestPath === undefined || dest === undefined || peerList === undefined) {
    // deno-lint-ignore no-console
    console.error(
      "Usage: download_process.ts MANIFEST.json DEST PEER[,PEER...] [WORKERS [REQUESTS]]",
    );
    return 2;
  }
  const manifest = parseManifest(JSON.parse(await Deno.readTextFile(manifestPath)));
  const workers = Number(workersText ?? defaultWorkerCount());
  const requestsPerWorker = requestsText === undefined
    ? {}
    : { requestsPerWorker: Number(requestsText) };
  const peers: string[] = [];
  const peerCerts: Record<string, string> = {};
  for (const peer of peerList.split(",")) {
    const [addr, certPath] = peer.split("=") as [string, string | undefined];
    peers.push(addr);
    if (certPath !== undefined) peerCerts[addr] = await Deno.readTextFile(certPath);
  }
  const poolStart = performance.now();
  await using pool = createWorkerPool(workers);
  await pool.ready();
  const poolMs = performance.now() - poolStart;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const result = await startDownload({
    manifest,
    peers,
    peerCerts,
    ticket: benchTicket(manifest.fileHash),
    renewTicket: () => Promise.resolve(benchTicket(manifest.fileHash)),
    destPath: dest,
    pool,
    ...requestsPerWorker,
  })
    .done;
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  // deno-lint-ignore no-console
  console.log(JSON.stringify({
    state: result.state,
    error: result.error,
    ms,
    poolMs,
    peakRssBytes: peakRssBytes(),
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    peers: result.peers.map((p) => p.bytes),
  }));
  return result.state === "complete" ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
