/**
 * The key that per-address limits (connections, logins) count a caller by: its IPv4 address, or the /64
 * network of its IPv6 address (one machine commonly holds a whole /64, so
 * counting single IPv6 addresses would let it dodge every limit).
 */

/**
 * The source key of a remote host.
 * @param hostname the remote address as the socket reports it
 * @returns the IPv4 address, or `<first four IPv6 groups>::/64`
 */
export function sourceKey(hostname: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(hostname);
  if (mapped !== null) return mapped[1]!;
  if (!hostname.includes(":")) return hostname;
  const [head = "", tail] = hostname.toLowerCase().split("%")[0]!.split("::") as [string, string?];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined
    ? []
    : Array(Math.max(0, 8 - left.length - right.length)).fill("0");
  const groups = [...left, ...zeros, ...right].map((g) => g.replace(/^0+(?=.)/, ""));
  return `${groups.slice(0, 4).join(":")}::/64`;
}
