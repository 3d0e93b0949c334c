/**
 * A peer is a client, not a user: its seeds and its lease are keyed by the
 * user and the client's seeder address together. User names are identifiers
 * (no spaces), so the key splits back unambiguously. Seeds written by older
 * trackers are keyed by the user name alone.
 */

/** @returns the key of the client at `addr` logged in as `user` */
export function peerKey(user: string, addr: string): string {
  return `${user} ${addr}`;
}

/** @returns the user a seed key belongs to (the key itself for an older, per-user key) */
export function userOfKey(key: string): string {
  const space = key.indexOf(" ");
  return space < 0 ? key : key.slice(0, space);
}
