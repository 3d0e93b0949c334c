/**
 * A seeder in its own process, for the transfer benchmark:
 * `deno run --allow-net --allow-read bench/seed_process.ts MANIFEST.json FILE`.
 * Prints `seed ready <host:port>` and serves FILE until stdin closes or SIGTERM.
 */
import { parseManifest } from "../protocol/manifest.ts";
import { startSeeder } from "../client/seeder.ts";

async function main(args: string[]): Promise<number> {
  const [manifestPath, filePath] = args;
  if (manifestPath === undefined || filePath === undefined) {
    // deno-lint-ignore no-console
    console.error("Usage: seed_process.ts MANIFEST.json FILE");
    return 2;
  }
  const manifest = parseManifest(JSON.parse(await Deno.readTextFile(manifestPath)));
  const shared = { path: filePath, manifest, hasPiece: () => true };
  const seeder = await startSeeder({
    catalog: { lookup: (hash) => (hash === manifest.fileHash ? shared : undefined) },
  });
  // deno-lint-ignore no-console
  console.log(`seed ready ${seeder.addr}`);
  const stop = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGTERM", () => stop.resolve());
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* wait for stdin to close */ }
    stop.resolve();
  })();
  await stop.promise;
  await seeder.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
