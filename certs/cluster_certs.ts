/**
 * Writes a cluster's TLS files into one directory: the CA certificate every
 * program trusts, its key, and a certificate and key per server program.
 * Private keys are written readable by their owner only.
 */
import { join } from "node:path";
import { type CertifiedKey, createCa, issueServerCert } from "../protocol/certificates.ts";

/** The programs that listen and so need a certificate; a client needs none. */
export const SERVER_PROGRAMS = ["tracker", "balancer"] as const;

/** Paths of the files {@link writeClusterCerts} made. */
export interface ClusterCertFiles {
  /** The CA certificate, for every `--tls-ca`. */
  ca: string;
  /** The CA's private key, to issue more certificates; keep it off the servers. */
  caKey: string;
  /** Per program: its `--tls-cert` and `--tls-key`. */
  programs: Record<(typeof SERVER_PROGRAMS)[number], { cert: string; key: string }>;
}

/**
 * Makes a new CA and a certificate per server program valid for `hosts`.
 * @param outDir created if missing; must not already hold a CA
 * @param hosts the names and IP addresses the programs are dialed at
 * @throws {Error} when `outDir` already holds a CA or `hosts` is empty
 */
export async function writeClusterCerts(
  outDir: string,
  hosts: readonly string[],
): Promise<ClusterCertFiles> {
  if (hosts.length === 0) throw new Error("--hosts needs at least one name or address");
  await Deno.mkdir(outDir, { recursive: true });
  const caPath = join(outDir, "ca.pem");
  if (await exists(caPath)) {
    throw new Error(
      `${caPath} already exists: a new CA would not trust the certificates made before`,
    );
  }
  const ca = await createCa("p2p cluster CA");
  const files: ClusterCertFiles = {
    ca: caPath,
    caKey: join(outDir, "ca-key.pem"),
    programs: {} as ClusterCertFiles["programs"],
  };
  await writePair({ cert: ca.cert, key: ca.key }, files.ca, files.caKey);
  for (const program of SERVER_PROGRAMS) {
    const paths = { cert: join(outDir, `${program}.pem`), key: join(outDir, `${program}-key.pem`) };
    await writePair(await issueServerCert(ca, program, hosts), paths.cert, paths.key);
    files.programs[program] = paths;
  }
  return files;
}

async function writePair(pair: CertifiedKey, certPath: string, keyPath: string): Promise<void> {
  await Deno.writeTextFile(certPath, pair.cert);
  await Deno.writeTextFile(keyPath, pair.key, { mode: 0o600 });
  // mode applies only to a new file: make sure an old one is tightened too
  await Deno.chmod(keyPath, 0o600);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
