/**
 * The manifests of the state, kept by pieces key: content-addressed, so there
 * is nothing to resolve when two trackers took different manifests for one
 * file hash; a file is served with the least of those its seeders carried.
 */
import { compareSummaries, type ManifestSummary } from "./piece_hashes.ts";
import type { TrackerState } from "./state_types.ts";

/**
 * Adds a manifest under its pieces key (also used when loading a snapshot).
 * @param state the state to change in place
 */
export function addManifest(state: TrackerState, manifest: ManifestSummary): void {
  state.manifests.set(manifest.piecesKey, manifest);
  const keys = state.fileManifests.get(manifest.fileHash);
  if (keys === undefined) state.fileManifests.set(manifest.fileHash, new Set([manifest.piecesKey]));
  else keys.add(manifest.piecesKey);
}

/**
 * Removes a manifest and its entry in the file hash index.
 * @param state the state to change in place
 */
export function removeManifest(state: TrackerState, piecesKey: string): void {
  const manifest = state.manifests.get(piecesKey);
  if (manifest === undefined) return;
  state.manifests.delete(piecesKey);
  const keys = state.fileManifests.get(manifest.fileHash);
  keys?.delete(piecesKey);
  if (keys?.size === 0) state.fileManifests.delete(manifest.fileHash);
}

/**
 * The manifest a file hash is served with: the least of those held for it by
 * {@link compareSummaries}, or of those named in `keys` when given.
 * @returns the manifest, or undefined when none is held
 */
export function manifestFor(
  state: TrackerState,
  fileHash: string,
  keys?: ReadonlySet<string>,
): ManifestSummary | undefined {
  let best: ManifestSummary | undefined;
  for (const key of keys ?? state.fileManifests.get(fileHash) ?? []) {
    const m = state.manifests.get(key);
    if (m?.fileHash === fileHash && (best === undefined || compareSummaries(m, best) < 0)) best = m;
  }
  return best;
}
