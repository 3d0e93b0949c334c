/**
 * X.509 certificates for TLS, made with WebCrypto (ECDSA P-256): a cluster
 * CA that signs one server certificate per program, and the self-signed
 * certificate a client's seeder presents, which downloaders pin as the only
 * root they accept for that peer.
 */
// The x509 library resolves its services through a decorator registry that
// needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a cluster CA is valid. */
export const CA_VALID_DAYS = 3650;
/** How long a program's certificate is valid. */
export const SERVER_CERT_VALID_DAYS = 825;
/** How long a seeder's own certificate is valid; a client makes a new one at every start. */
export const PEER_CERT_VALID_DAYS = 30;
/** Clock skew tolerated between the machine that signs and the one that checks. */
const BACKDATE_MS = 5 * 60 * 1000;

/** A certificate and its private key, both PEM text. */
export interface CertifiedKey {
  cert: string;
  key: string;
}

/** A CA able to sign program certificates. */
export interface CertificateAuthority extends CertifiedKey {
  keys: CryptoKeyPair;
  name: string;
}

function newKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

function serialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f; // a positive serial
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function validity(nowMs: number, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(nowMs - BACKDATE_MS), notAfter: new Date(nowMs + days * DAY_MS) };
}

/** Subject alternative names: IP literals as IP entries, everything else as DNS names. */
function altNames(hosts: readonly string[]): x509.SubjectAlternativeNameExtension {
  const names = [...new Set(hosts)].map((host) => {
    const bare = host.replace(/^\[|\]$/g, "");
    const isIp = /^[\d.]+$/.test(bare) || bare.includes(":");
    return { type: isIp ? "ip" as const : "dns" as const, value: bare };
  });
  return new x509.SubjectAlternativeNameExtension(names);
}

function serverExtensions(hosts: readonly string[]): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    altNames(hosts),
  ];
}

/**
 * Makes a new cluster CA.
 * @param name its common name
 */
export async function createCa(
  name: string,
  nowMs: number = Date.now(),
): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${name}`,
    ...validity(nowMs, CA_VALID_DAYS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys), keys, name };
}

/**
 * Makes a certificate for a program, signed by the CA, valid for `hosts`.
 * @param hosts the names and IP addresses the program is dialed at
 */
export async function issueServerCert(
  ca: CertificateAuthority,
  program: string,
  hosts: readonly string[],
  nowMs: number = Date.now(),
): Promise<CertifiedKey> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${program}`,
    issuer: `CN=${ca.name}`,
    ...validity(nowMs, SERVER_CERT_VALID_DAYS),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      ...serverExtensions(hosts),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys) };
}

/**
 * Makes a seeder's self-signed certificate. It is no CA: a downloader trusts
 * it as a root for this one peer only, and TLS refuses a CA certificate used
 * as a server's own.
 * @param hosts the names and IP addresses the seeder is dialed at
 */
export async function createPeerCert(
  hosts: readonly string[],
  nowMs: number = Date.now(),
): Promise<CertifiedKey> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: "CN=seeder",
    ...validity(nowMs, PEER_CERT_VALID_DAYS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: serverExtensions(hosts),
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys) };
}
