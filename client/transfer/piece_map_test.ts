import assert from "node:assert/strict";
import { PieceSources } from "./piece_map.ts";

Deno.test("PieceSources.render() draws missing, in-flight, resumed and per-peer pieces", () => {
  const sources = new PieceSources(6);
  sources.mark(0, "p1:1");
  sources.mark(1, "p2:2");
  sources.mark(2, "p1:1");
  sources.mark(3, null);
  sources.mark(99, "p3:3");
  sources.hashFailed();
  assert.deepEqual(sources.render([4, 0]), {
    pieces: "aba=~.",
    peers: ["p1:1", "p2:2"],
    hashFailures: 1,
  });
});

Deno.test("PieceSources.render() marks peers past z with #", () => {
  const sources = new PieceSources(30);
  for (let i = 0; i < 30; i++) sources.mark(i, `peer${i}`);
  const map = sources.render([]);
  assert.equal(map.pieces.slice(24), "yz####");
  assert.equal(map.peers.length, 26);
});
