/** The peers of a `download_file` reply as a download takes them. */

/** Each TLS peer's certificate by its address. */
export function certsOf(peers: { addr: string; cert?: string }[]): Record<string, string> {
  const certs: Record<string, string> = {};
  for (const peer of peers) if (peer.cert !== undefined) certs[peer.addr] = peer.cert;
  return certs;
}
