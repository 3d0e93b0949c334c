import assert from "node:assert/strict";
import { manifestOf, SimTracker } from "./_test_helpers.ts";
import { digestState } from "./state.ts";
import { snapshotLines, stateFromLines } from "./state_snapshot.ts";
import { OpStore } from "./storage.ts";

function busyTracker(groups: number): SimTracker {
  const t = new SimTracker(1);
  t.createUser("alice");
  const token = t.login("alice");
  for (let i = 0; i < groups; i++) {
    const group = `g${i}`;
    t.run(token, { cmd: "create_group", group });
    const manifest = manifestOf(`content ${i}`);
    t.run(token, { cmd: "upload_file", group, name: "f", addr: "127.0.0.1:9", manifest });
  }
  return t;
}

Deno.test("snapshotLines() writes one record a line and stateFromLines() reads them back", () => {
  const t = busyTracker(300);
  const lines = [...snapshotLines(t.state)];
  // A header, one user, one session, then a line per group, per manifest and per peer lease.
  assert.equal(t.state.peerLeases.size, 1);
  assert.equal(lines.length, 1 + 1 + 1 + 300 + 300 + 1);
  assert.ok(lines.every((line) => line.length < 2000), "no line holds more than one record");
  const copy = stateFromLines(lines);
  assert.equal(digestState(copy), digestState(t.state));
  assert.deepEqual([...snapshotLines(copy)], lines);
});

Deno.test("OpStore saves a snapshot's lines as they come and reads them one at a time", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const t = busyTracker(50);
    const store = new OpStore(dir);
    store.saveSnapshot(snapshotLines(t.state), new Map([[1, t.log.length]]));
    store.saveSnapshot(snapshotLines(t.state), new Map([[1, t.log.length]])); // replaces
    store.close();
    const reopened = new OpStore(dir);
    const reader = reopened.snapshotReader()!;
    assert.deepEqual(reader.versionVector, new Map([[1, t.log.length]]));
    assert.equal(digestState(stateFromLines(reader.lines)), digestState(t.state));
    assert.equal([...reader.lines].length, [...snapshotLines(t.state)].length);
    reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stateFromLines() refuses a snapshot of another version or with a bad line", () => {
  const lines = [...snapshotLines(busyTracker(2).state)];
  for (
    const bad of [[], ['{"version":2,"horizonMs":0}'], [lines[0]!, '["nope","x",1]'], [
      lines[0]!,
      "{",
    ]]
  ) {
    assert.throws(() => stateFromLines(bad), /Cannot read the state snapshot/);
  }
});
