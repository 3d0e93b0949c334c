/** Version vectors: the highest seq held per origin tracker, and their JSON form. */

/** Highest seq held per origin. */
export type VersionVector = Map<number, number>;

/** Converts a version vector to a JSON-friendly object keyed by origin. */
export function vvToObject(vv: VersionVector): Record<string, number> {
  return Object.fromEntries([...vv].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v]));
}

/** Reads a version vector from its JSON object form, skipping malformed entries. */
export function vvFromObject(raw: Record<string, unknown>): VersionVector {
  const vv: VersionVector = new Map();
  for (const [key, value] of Object.entries(raw)) {
    const origin = Number(key);
    if (Number.isSafeInteger(origin) && Number.isSafeInteger(value) && (value as number) > 0) {
      vv.set(origin, value as number);
    }
  }
  return vv;
}
