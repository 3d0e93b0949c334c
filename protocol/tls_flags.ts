/**
 * The TLS command-line flags every program shares (`--tls-cert`, `--tls-key`,
 * `--tls-ca`, `--insecure`, and their environment variables), turned into
 * what the servers and links need, with the rule that nothing leaves this
 * machine in clear text unless `--insecure` says so.
 */
import { parseHostPort } from "./conn_io.ts";
import { checkExposure, readCaCerts, readTlsIdentity, type TlsIdentity } from "./tls.ts";

/** The flags as `node:util` parseArgs gives them. */
export interface TlsFlagValues {
  "tls-cert"?: string | undefined;
  "tls-key"?: string | undefined;
  "tls-ca"?: string | undefined;
  insecure?: boolean | undefined;
}

/** parseArgs option specs of the TLS flags, to spread into a program's own. */
export const TLS_FLAG_OPTIONS = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
  insecure: { type: "boolean" },
} as const;

/** Help lines of the TLS flags; `listens` adds the server-side ones. */
export function tlsFlagsHelp(envPrefix: string, listens: boolean): string {
  const server = listens
    ? `  --tls-cert FILE        serve TLS with this certificate (PEM) [${envPrefix}_TLS_CERT]
  --tls-key FILE         ... and this private key (PEM) [${envPrefix}_TLS_KEY]
`
    : "";
  return `${server}  --tls-ca FILE          connect with TLS, trusting only certificates from this CA (PEM)
                         [${envPrefix}_TLS_CA]
  --insecure             allow plain TCP beyond loopback (clear text; warns) [${envPrefix}_INSECURE=1]`;
}

/** What the TLS flags come to. */
export interface TlsSettings {
  /** The identity to serve TLS with, if any. */
  identity: TlsIdentity | undefined;
  /** Roots to dial with TLS, if any. */
  caCerts: string[] | undefined;
  /** Warnings to print at start (insecure exposure). */
  warnings: string[];
}

/**
 * Reads the TLS files the flags name and applies the exposure rule to the
 * address this program listens on and the addresses it dials.
 * @param listenHost the host this program listens on, if it listens
 * @param dials host:port addresses it dials
 * @throws {Error} with a message for the user (unreadable file, half a pair, exposure)
 */
export async function tlsSettings(
  flags: TlsFlagValues,
  options: { envPrefix: string; listenHost: string | undefined; dials: readonly string[] },
): Promise<TlsSettings> {
  const env = (name: string) => Deno.env.get(`${options.envPrefix}_${name}`);
  const certPath = flags["tls-cert"] ?? env("TLS_CERT");
  const keyPath = flags["tls-key"] ?? env("TLS_KEY");
  const caPath = flags["tls-ca"] ?? env("TLS_CA");
  const insecureEnv = env("INSECURE");
  const insecure = flags.insecure === true || (insecureEnv !== undefined && insecureEnv !== "0");
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new Error("--tls-cert and --tls-key go together");
  }
  const identity = certPath !== undefined && keyPath !== undefined
    ? await readTlsIdentity(certPath, keyPath)
    : undefined;
  const caCerts = caPath !== undefined ? await readCaCerts(caPath) : undefined;
  const warnings: string[] = [];
  if (options.listenHost !== undefined) {
    const warning = checkExposure([options.listenHost], {
      tls: identity !== undefined,
      insecure,
      what: "listening on",
    });
    if (warning !== undefined) warnings.push(warning);
  }
  const dialHosts = options.dials.map((addr) => parseHostPort(addr).hostname);
  const warning = checkExposure(dialHosts, {
    tls: caCerts !== undefined,
    insecure,
    what: "dialing",
  });
  if (warning !== undefined) warnings.push(warning);
  return { identity, caCerts, warnings };
}
