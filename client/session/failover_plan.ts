/**
 * Which trackers to try, in which order, when the client (re)connects, and
 * how long to wait between rounds. Pure, so the order is tested directly.
 *
 * The balancer's answer comes first: it knows loads and which trackers are
 * live. The client's own list follows, rotated to start after the tracker
 * that just died, so clients that lose the same tracker spread over the
 * others instead of all landing on the first line of the file. In the first
 * round the dead tracker is left out; later rounds try everything again,
 * since a tracker that was restarted is as good as any.
 */

/** Inputs of {@link planCandidates}. */
export interface CandidateInputs {
  /** The configured trackers, in order. */
  trackers: readonly string[];
  /** What the balancer suggested, if it answered. */
  suggested: string | undefined;
  /** Trackers to leave out this round. */
  exclude: readonly string[];
  /** The tracker that just died, if any: the rotation starts after it. */
  dead: string | undefined;
}

/**
 * Orders the trackers to try.
 * @returns addresses without repeats, the balancer's suggestion first
 */
export function planCandidates(inputs: CandidateInputs): string[] {
  const { trackers, suggested, exclude, dead } = inputs;
  const at = dead === undefined ? -1 : trackers.indexOf(dead);
  const rotated = at < 0
    ? [...trackers]
    : [...trackers.slice(at + 1), ...trackers.slice(0, at + 1)];
  const out: string[] = [];
  for (const addr of [...(suggested === undefined ? [] : [suggested]), ...rotated]) {
    if (!exclude.includes(addr) && !out.includes(addr)) out.push(addr);
  }
  return out;
}

/**
 * The pause before reconnect round `round` (0-based): doubling from `baseMs`, capped.
 * @returns milliseconds
 */
export function retryDelayMs(round: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(round, 30));
}
