import assert from "node:assert/strict";
import { checkEdge, findCycle } from "./architecture_rules.ts";

Deno.test("findCycle() names the modules of a cycle and nothing for a tree", () => {
  assert.deepEqual(findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]])), [
    "a",
    "b",
    "c",
    "a",
  ]);
  assert.equal(findCycle(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), undefined);
});

Deno.test("checkEdge() refuses each crossing the rules forbid", () => {
  assert.match(checkEdge("client/transfer/seeder.ts", "client/local/registry.ts")!, /transfer/);
  assert.match(checkEdge("client/local/share_manager.ts", "client/transfer/seeder.ts")!, /mod\.ts/);
  assert.match(checkEdge("bench/transfer.ts", "client/transfer/hash_file.ts")!, /mod\.ts/);
  assert.match(
    checkEdge("client/session/tracker_session.ts", "client/local/registry.ts")!,
    /session/,
  );
  assert.match(checkEdge("client/session/tracker_session.ts", "client/shell/shell.ts")!, /session/);
  assert.match(checkEdge("client/local/download_manager.ts", "client/shell/output.ts")!, /local/);
  assert.match(checkEdge("protocol/rpc_client.ts", "tracker/server.ts")!, /protocol/);
  assert.match(checkEdge("tracker/server.ts", "client/app.ts")!, /tracker/);
  assert.match(checkEdge("client/app.ts", "tracker/config.ts")!, /client/);
});

Deno.test("checkEdge() allows the crossings the rules permit", () => {
  for (
    const [from, to] of [
      ["client/local/share_manager.ts", "client/transfer/mod.ts"],
      ["client/transfer/seeder.ts", "protocol/peer_frames.ts"],
      ["client/shell/shell.ts", "client/local/download_manager.ts"],
      ["client/app.ts", "client/session/tracker_session.ts"],
      ["bench/transfer.ts", "client/transfer/mod.ts"],
      ["mod.ts", "tracker/server.ts"],
    ]
  ) {
    assert.equal(checkEdge(from!, to!), undefined, `${from} -> ${to}`);
  }
});
