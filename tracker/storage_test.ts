import assert from "node:assert/strict";
import { OpStore, vvFromObject, vvToObject } from "./storage.ts";
import type { Op } from "./ops.ts";

function op(origin: number, seq: number): Op {
  const stamp = `${String(1000 + seq).padStart(15, "0")}.000000.${String(origin).padStart(5, "0")}`;
  return { origin, seq, stamp, body: { type: "create_group", group: `g${seq}`, owner: "o" } };
}

Deno.test("OpStore keeps ops once by (origin, seq) and reads them back in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new OpStore(dir);
    store.append([op(1, 1), op(1, 2), op(2, 1)]);
    store.append([op(1, 2), op(1, 3)]);
    assert.deepEqual(store.versionVector(), new Map([[1, 3], [2, 1]]));
    assert.deepEqual(store.readAfter(1, 1, 10).map((o) => o.seq), [2, 3]);
    assert.deepEqual(store.readAfter(1, 0, 1), [op(1, 1)]);
    assert.equal(store.maxStamp(), op(1, 3).stamp);
    store.saveSnapshot("{}", new Map([[1, 3]]));
    store.close();
    const reopened = new OpStore(dir);
    assert.deepEqual(reopened.loadSnapshot(), { state: "{}", versionVector: new Map([[1, 3]]) });
    assert.equal(reopened.readAfter(2, 0, 10).length, 1);
    reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vvToObject() and vvFromObject() round-trip a version vector", () => {
  const vv = new Map([[3, 7], [1, 2]]);
  assert.deepEqual(vvToObject(vv), { "1": 2, "3": 7 });
  assert.deepEqual(vvFromObject({ "1": 2, "3": 7, x: 1, "4": -1 }), new Map([[1, 2], [3, 7]]));
});
