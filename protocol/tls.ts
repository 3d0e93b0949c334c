/**
 * The one place that chooses between plain TCP and TLS. A server listens
 * with TLS when it has a certificate and key; a connection is made with TLS
 * when the caller has roots to check the other end against. Every server,
 * link and client goes through these two functions.
 */
import { AppError } from "./errors.ts";
import { listenReleasingTls } from "./tls_server.ts";

/** A server's certificate chain and private key, PEM text. */
export interface TlsIdentity {
  cert: string;
  key: string;
}

/** Options of {@link listenConn}. */
export interface ListenConnOptions {
  hostname: string;
  port: number;
  /** Serve TLS with this identity; plain TCP when undefined. */
  tls?: TlsIdentity | undefined;
}

/**
 * Listens on TCP, or on TLS when `tls` is given. A connection closed before
 * its TLS handshake releases its socket at once (see tls_server.ts).
 * @throws {Deno.errors.AddrInUse} when the port is taken
 */
export async function listenConn(options: ListenConnOptions): Promise<Deno.Listener> {
  const { hostname, port, tls } = options;
  if (tls === undefined) return Deno.listen({ hostname, port });
  return await listenReleasingTls(hostname, port, tls);
}

/** Options of {@link connectConn}. */
export interface ConnectConnOptions {
  hostname: string;
  port: number;
  /** Connect with TLS and accept only a certificate chaining to one of these (PEM); plain TCP when undefined. */
  caCerts?: string[] | undefined;
  /** Give up connecting (and on TLS, finishing the handshake) after this long. */
  timeoutMs: number;
}

/**
 * Connects, with TLS when `caCerts` is given; a TLS connection is returned
 * only once the other end proved its certificate.
 * @throws {AppError} TIMEOUT, or UNAVAILABLE naming why (refused, bad certificate)
 */
export async function connectConn(options: ConnectConnOptions): Promise<Deno.Conn> {
  const { hostname, port, caCerts, timeoutMs } = options;
  const addr = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  const attempt = (async (): Promise<Deno.Conn> => {
    if (caCerts === undefined) {
      const conn = await Deno.connect({ hostname, port });
      conn.setNoDelay(true);
      return conn;
    }
    const conn = await Deno.connectTls({ hostname, port, caCerts });
    try {
      await conn.handshake();
    } catch (error) {
      closeQuietly(conn);
      throw error;
    }
    return conn;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError("TIMEOUT", `Connecting to ${addr} timed out`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([attempt, timeout]);
  } catch (error) {
    attempt.then(closeQuietly, () => {});
    if (error instanceof AppError) throw error;
    throw new AppError("UNAVAILABLE", `Cannot connect to ${addr}: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a connection that a failed handshake may already have closed. */
function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/**
 * Whether a host name or address stays on this machine.
 * @param host a hostname or IP literal (IPv6 with or without brackets)
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare === "::1";
}

/**
 * Checks that a program exposed beyond this machine encrypts, or was told
 * not to with `--insecure`.
 * @param what e.g. `listening on 0.0.0.0` or `tracker 10.0.0.2:7000`
 * @returns a warning to print when insecure was allowed, else undefined
 * @throws {Error} when the host is not loopback, there is no TLS and no `--insecure`
 */
export function checkExposure(
  hosts: readonly string[],
  options: { tls: boolean; insecure: boolean; what: string },
): string | undefined {
  const exposed = hosts.filter((host) => !isLoopbackHost(host));
  if (options.tls || exposed.length === 0) return undefined;
  const where = exposed.join(", ");
  if (!options.insecure) {
    throw new Error(
      `${options.what} ${where} is not loopback: give TLS flags (see --help), ` +
        `or --insecure to send passwords, tokens and data in clear text`,
    );
  }
  return `warning: ${options.what} ${where} without TLS (--insecure): ` +
    `passwords, tokens and data cross the network in clear text`;
}

/**
 * Reads a certificate and key from PEM files.
 * @throws {Error} naming the file that cannot be read
 */
export async function readTlsIdentity(certPath: string, keyPath: string): Promise<TlsIdentity> {
  return { cert: await readPem(certPath, "--tls-cert"), key: await readPem(keyPath, "--tls-key") };
}

/**
 * Reads the CA certificates of a PEM file (one or more).
 * @throws {Error} when the file cannot be read or holds no certificate
 */
export async function readCaCerts(path: string): Promise<string[]> {
  const text = await readPem(path, "--tls-ca");
  const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (certs === null) throw new Error(`--tls-ca ${path} holds no certificate`);
  return certs.map((cert) => `${cert}\n`);
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`cannot read ${flag} file ${path}: ${(error as Error).message}`);
  }
}
