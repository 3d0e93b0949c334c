/**
 * The TLS command-line flags every program shares (`--tls-cert`, `--tls-key`,
 * `--tls-ca`, `--insecure`, and their environment variables), turned into
 * what the servers and links need, with the rule that nothing leaves this
 * machine in clear text unless `--insecure` says so.
 */
import type { FlagSpec, FlagValues } from "./cli_flags.ts";
import { parseHostPort } from "./conn_io.ts";
import { checkExposure, readCaCerts, readTlsIdentity, type TlsIdentity } from "./tls.ts";

/**
 * The TLS flags of a program, to append to its own {@link FlagSpec} list.
 * @param envPrefix the program's variable prefix, e.g. `TRACKER`
 * @param listens whether the program serves (adds `--tls-cert` and `--tls-key`)
 * @returns the flag specs
 */
export function tlsFlagSpecs(envPrefix: string, listens: boolean): FlagSpec[] {
  const server: FlagSpec[] = listens
    ? [
      {
        name: "tls-cert",
        arg: "FILE",
        env: `${envPrefix}_TLS_CERT`,
        help: "serve TLS with this certificate (PEM)",
        shownDefault: "none: plain TCP",
      },
      {
        name: "tls-key",
        arg: "FILE",
        env: `${envPrefix}_TLS_KEY`,
        help: "the private key (PEM) of --tls-cert",
        shownDefault: "none: plain TCP",
      },
    ]
    : [];
  return [...server, {
    name: "tls-ca",
    arg: "FILE",
    env: `${envPrefix}_TLS_CA`,
    help: "connect with TLS, trusting only certificates from this CA (PEM)",
    shownDefault: "none: plain TCP",
  }, {
    name: "insecure",
    kind: "boolean",
    env: `${envPrefix}_INSECURE`,
    help: "allow plain TCP beyond loopback (clear text; warns)",
  }];
}

/**
 * The TLS flags' values out of a parsed command line.
 * @returns the values {@link tlsSettings} takes
 */
export function tlsFlagValues(flags: FlagValues): TlsFlagValues {
  return {
    "tls-cert": flags.string("tls-cert"),
    "tls-key": flags.string("tls-key"),
    "tls-ca": flags.string("tls-ca"),
    insecure: flags.bool("insecure"),
  };
}

/** The TLS flags' values. */
export interface TlsFlagValues {
  "tls-cert"?: string | undefined;
  "tls-key"?: string | undefined;
  "tls-ca"?: string | undefined;
  insecure?: boolean | undefined;
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
  options: { listenHost: string | undefined; dials: readonly string[] },
): Promise<TlsSettings> {
  const certPath = flags["tls-cert"];
  const keyPath = flags["tls-key"];
  const caPath = flags["tls-ca"];
  const insecure = flags.insecure === true;
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
