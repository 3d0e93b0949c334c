/**
 * `deno task certs --out DIR --hosts h1,h2`: makes a cluster CA and a TLS
 * certificate and key per server program (tracker, balancer), and prints
 * which flag takes which file.
 */
import { parseArgs } from "node:util";
import { writeClusterCerts } from "./cluster_certs.ts";

const HELP = `Usage: deno task certs --out DIR --hosts HOST[,HOST...]

Makes a cluster CA and, signed by it, a certificate and key for the tracker
and the balancer, valid for every HOST (names and IP addresses the programs
are dialed at). Keys are written readable by their owner only.

  --out DIR      directory to write into (must not hold a CA yet)
  --hosts LIST   comma-separated names and IP addresses
  --help         show this help`;

async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: { out: { type: "string" }, hosts: { type: "string" }, help: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(`certs: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help === true) {
    // deno-lint-ignore no-console
    console.log(HELP);
    return 0;
  }
  if (values.out === undefined || values.hosts === undefined) {
    // deno-lint-ignore no-console
    console.error(`certs: --out and --hosts are required\n\n${HELP}`);
    return 2;
  }
  const hosts = values.hosts.split(",").map((h) => h.trim()).filter((h) => h !== "");
  try {
    const files = await writeClusterCerts(values.out, hosts);
    const lines = [
      `CA certificate (every --tls-ca): ${files.ca}`,
      `CA key (keep it off the servers): ${files.caKey}`,
      ...Object.entries(files.programs).map(([program, p]) =>
        `${program}: --tls-cert ${p.cert} --tls-key ${p.key}`
      ),
    ];
    // deno-lint-ignore no-console
    console.log(lines.join("\n"));
    return 0;
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(`certs: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
