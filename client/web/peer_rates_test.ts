import assert from "node:assert/strict";
import { PeerRates, RATE_WINDOW_MS } from "./peer_rates.ts";

Deno.test("PeerRates.sample() gives the rate over the last window", () => {
  const rates = new PeerRates();
  assert.equal(rates.sample("a", 0, 0), 0);
  assert.equal(rates.sample("a", 1000, 1000), 1000);
  assert.equal(rates.sample("a", 3000, 2000), 1500);
  // Past the window, the oldest samples no longer count.
  for (let t = 3000; t <= 3000 + RATE_WINDOW_MS; t += 1000) rates.sample("a", 3000, t);
  assert.equal(rates.sample("a", 3000, 7000), 0);
});

Deno.test("PeerRates.prune() forgets keys no longer sampled", () => {
  const rates = new PeerRates();
  rates.sample("a", 0, 0);
  rates.sample("a", 500, 1000);
  rates.prune(RATE_WINDOW_MS * 3);
  assert.equal(rates.sample("a", 600, RATE_WINDOW_MS * 3), 0, "a fresh start");
});
