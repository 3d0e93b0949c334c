/**
 * The seeder's own TLS identity: a self-signed certificate made at every
 * start and announced with each share, so a downloader can trust exactly this
 * seeder without any CA. Kept in the data dir, the key readable by its owner only.
 */
import { join } from "node:path";
import { createPeerCert } from "../../protocol/certificates.ts";
import type { TlsIdentity } from "../../protocol/tls.ts";

/** File names of the identity inside the data dir. */
export const PEER_CERT_FILE = "seeder-cert.pem";
export const PEER_KEY_FILE = "seeder-key.pem";

/**
 * Makes a new certificate and key for a seeder dialed at `host`, and writes both to `dataDir`.
 * @param host the seeder's listen host, which downloaders dial
 */
export async function makePeerIdentity(dataDir: string, host: string): Promise<TlsIdentity> {
  const identity = await createPeerCert([host, "127.0.0.1", "localhost"]);
  const keyPath = join(dataDir, PEER_KEY_FILE);
  await Deno.writeTextFile(keyPath, identity.key, { mode: 0o600 });
  await Deno.chmod(keyPath, 0o600);
  const certPath = join(dataDir, PEER_CERT_FILE);
  await Deno.writeTextFile(certPath, identity.cert, { mode: 0o600 });
  await Deno.chmod(certPath, 0o600);
  return identity;
}
