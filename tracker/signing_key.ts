/**
 * Where a tracker's cluster key comes from: derived from the cluster secret
 * when there is one (so every tracker of the cluster signs alike), else made
 * once and kept in the data dir, readable by the owner only.
 */
import { join } from "node:path";
import {
  type ClusterKey,
  clusterKeyFromSeed,
  deriveClusterKey,
  newSigningSeed,
} from "../protocol/cluster_key.ts";

/** The file, in the data dir, of a key made without a cluster secret. */
export const SIGNING_KEY_FILE = "signing.key";

/**
 * The tracker's cluster key.
 * @returns the key derived from `clusterSecret`, or the one kept in `dataDir`
 * @throws {Error} when the key file cannot be read or written, or is damaged
 */
export function loadClusterKey(dataDir: string, clusterSecret: string | undefined): ClusterKey {
  if (clusterSecret !== undefined && clusterSecret !== "") return deriveClusterKey(clusterSecret);
  const path = join(dataDir, SIGNING_KEY_FILE);
  try {
    return clusterKeyFromSeed(Deno.readFileSync(path));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new Error(`Cannot use the signing key ${path}: ${(error as Error).message}`);
    }
  }
  const seed = newSigningSeed();
  Deno.writeFileSync(path, seed, { createNew: true, mode: 0o600 });
  return clusterKeyFromSeed(seed);
}
