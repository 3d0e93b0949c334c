import assert from "node:assert/strict";
import { formatStamp, parseStamp } from "./hlc.ts";
import { Replica } from "./replica.ts";
import { OpStore } from "./storage.ts";

const DAY_MS = 86_400_000;

function open(dataDir: string, nowMs: () => number, maxClockSkewMs = 60_000): Replica {
  return Replica.open({
    id: 1,
    dataDir,
    snapshotEveryOps: 1000,
    nowMs,
    maxClockSkewMs,
  });
}

const createGroup = (group: string) => () => ({
  bodies: [{ type: "create_group" as const, group, owner: "alice" }],
  data: {},
});

Deno.test("Replica: an op log holding a stamp at the end of the range still takes writes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new OpStore(dir);
    store.append([{
      origin: 2,
      seq: 1,
      stamp: "999999999999999.999999.00002",
      body: { type: "create_group", group: "doom", owner: "mallory" },
    }]);
    store.close();
    const replica = open(dir, Date.now);
    try {
      await replica.write(createGroup("after"));
      assert.equal(replica.committed.get(1), 1);
    } finally {
      replica.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Replica: a clock that jumps back or forward changes nothing acknowledged", async () => {
  const dir = await Deno.makeTempDir();
  let offsetMs = 0;
  const replica = open(dir, () => Date.now() + offsetMs);
  try {
    const stamps: number[] = [];
    for (const jump of [0, 400 * DAY_MS, -800 * DAY_MS, 0]) {
      offsetMs = jump;
      await replica.write((stamp) => {
        stamps.push(parseStamp(stamp).ms);
        return createGroup(`g${stamps.length}`)();
      });
    }
    assert.deepEqual([...stamps].sort((a, b) => a - b), stamps, "stamps never go back");
    assert.equal(replica.committed.get(1), 4);
    assert.deepEqual([...replica.state.groups.keys()].sort(), ["g1", "g2", "g3", "g4"]);
    // A peer's op far ahead of this clock is refused, not taken in.
    const ahead = formatStamp({ ms: Date.now() + 1000 * DAY_MS, counter: 0 }, 2);
    const op = { origin: 2, seq: 1, stamp: ahead, body: createGroup("x")().bodies[0]! };
    await assert.rejects(replica.receive([op], 2));
    assert.equal(replica.committed.get(2), undefined);
  } finally {
    replica.close();
    await Deno.remove(dir, { recursive: true });
  }
});
