/**
 * A seeder in its own process, for the transfer benchmark:
 * `deno run --allow-net --allow-read bench/seed_process.ts MANIFEST.json FILE [CERT_OUT]`.
 * With CERT_OUT it serves TLS with a new self-signed certificate, written there
 * for the downloader to trust (as a client's seeder does). Prints `seed ready <host:port>` and serves FILE until stdin closes or SIGTERM;
 * answers a stdin line `cpu TAG` with `seed cpu TAG <ms of CPU used>`.
 */
import process from "node:process";
import { parseManifest } from "../protocol/manifest.ts";
import { startSeeder } from "../client/transfer/mod.ts";
import { createPeerCert } from "../protocol/certificates.ts";
import { BENCH_GROUP, BENCH_KEY } from "./bench_ticket.ts";

async function main(args: string[]): Promise<number> {
  const [manifestPath, filePath, certOut] = args;
  if (manifestPath === undefined || filePath === undefined) {
    // deno-lint-ignore no-console
    console.error("Usage: seed_process.ts MANIFEST.json FILE [CERT_OUT]");
    return 2;
  }
  const manifest = parseManifest(JSON.parse(await Deno.readTextFile(manifestPath)));
  const shared = { path: filePath, manifest, groups: [BENCH_GROUP], hasPiece: () => true };
  const tls = certOut === undefined ? undefined : await createPeerCert(["127.0.0.1"]);
  if (tls !== undefined && certOut !== undefined) await Deno.writeTextFile(certOut, tls.cert);
  const seeder = await startSeeder({
    tls,
    clusterKey: () => BENCH_KEY.publicKey,
    catalog: { lookup: (hash) => (hash === manifest.fileHash ? shared : undefined) },
  });
  // deno-lint-ignore no-console
  console.log(`seed ready ${seeder.addr}`);
  const stop = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGTERM", () => stop.resolve());
  (async () => {
    // A line "cpu TAG" asks for the CPU time used so far: "seed cpu TAG <ms>".
    let rest = "";
    for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        const tag = /^cpu (\w+)$/.exec(line.trim())?.[1];
        const { user, system } = process.cpuUsage();
        // deno-lint-ignore no-console
        if (tag !== undefined) console.log(`seed cpu ${tag} ${(user + system) / 1000}`);
      }
    }
    stop.resolve();
  })();
  await stop.promise;
  await seeder.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
