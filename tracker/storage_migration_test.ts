import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { formatStamp } from "./hlc.ts";
import { Replica } from "./replica.ts";
import { sessionUser } from "./decide.ts";
import { OpStore } from "./storage.ts";

const T0 = Date.now();

function stampAt(ms: number, origin = 1): string {
  return formatStamp({ ms, counter: 0 }, origin);
}

Deno.test("OpStore hashes the clear tokens of an older op log and drops its old snapshot", () => {
  const dir = Deno.makeTempDirSync();
  try {
    new OpStore(dir).close(); // today's tables, then rows as an older version wrote them
    const open = "a1".repeat(32);
    const closed = "b2".repeat(32);
    const db = new DatabaseSync(join(dir, "tracker.db"));
    const insert = db.prepare("INSERT INTO ops (origin, seq, stamp, body) VALUES (1, ?, ?, ?)");
    const userStamp = stampAt(T0);
    const bodies = [
      { type: "create_user", user: "alice", salt: "00", hash: "00" },
      { type: "open_session", token: open, user: "alice", userStamp },
      { type: "open_session", token: closed, user: "alice", userStamp },
      { type: "close_session", token: closed },
    ];
    bodies.forEach((body, i) => insert.run(i + 1, stampAt(T0 + i), JSON.stringify(body)));
    db.prepare("INSERT INTO snapshot (slot, state, version_vector) VALUES (1, ?, '{}')")
      .run(JSON.stringify({ version: 1, sessions: [[open, {}]] }));
    db.exec("PRAGMA user_version = 0");
    db.close();

    const replica = Replica.open({
      id: 1,
      dataDir: dir,
      snapshotEveryOps: 5000,
    });
    assert.equal(sessionUser(replica.state, open, T0), "alice");
    assert.throws(() => sessionUser(replica.state, closed, T0));
    replica.close();
    for (const entry of Deno.readDirSync(dir)) {
      const bytes = new TextDecoder().decode(Deno.readFileSync(join(dir, entry.name)));
      assert.equal(bytes.includes(open) || bytes.includes(closed), false, entry.name);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
