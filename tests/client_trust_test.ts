/**
 * Clients send a password or a token only to trackers that prove they belong
 * to the cluster: a rogue tracker and a relay to a genuine tracker, both
 * handed out by a balancer, are skipped with a notice naming them and get
 * nothing secret; before its first login a client trusts only its own
 * configuration or a balancer that verifies its trackers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "./harness.ts";
import { converged, startPeer } from "./cluster_helpers.ts";
import { FAST_HEARTBEAT, startClientProc } from "./client_helpers.ts";
import { RecordingRelay, RogueTracker, ScriptedBalancer } from "./trust_fakes.ts";

const PASSWORD = "pw-Trust-7q2";

function notices(lines: string[]): string[] {
  return lines.filter((l) => l.startsWith("notice:"));
}

Deno.test("a client skips a rogue tracker and a relay a balancer hands out, and sends them nothing secret", async () => {
  await using dir = await tempDir("client-trust-");
  await using t1 = await startPeer(1, join(dir.path, "t1"));
  await using t2 = await startPeer(2, join(dir.path, "t2"), ["--peer", t1.addr]);
  await using rogue = new RogueTracker();
  await using relay = new RecordingRelay(t2.addr);
  await using balancer = new ScriptedBalancer();
  await using alice = await startClientProc(join(dir.path, "alice"), [
    ...["--tracker", t1.addr, "--balancer", balancer.addr],
    ...FAST_HEARTBEAT,
  ]);
  // The first login goes to the configured tracker and pins the cluster key.
  await alice.ok(`create_user alice ${PASSWORD}`);
  const login = await alice.ok(`login alice ${PASSWORD}`);
  await alice.ok("create_group g");
  await converged([t1.addr, t2.addr]);

  // Now the balancer hands out the rogue, then a relay to t2, and only then t2 itself.
  balancer.suggest = [rogue.addr, relay.addr, t2.addr];
  await t1.stop("SIGKILL");
  const groups = (await alice.ok("list_groups")).groups.map((g: { group: string }) => g.group);
  assert.deepEqual(groups, ["g"]);

  const seen = notices(alice.proc.stderrLines);
  for (const addr of [rogue.addr, relay.addr]) {
    assert.ok(
      seen.some((l) => l.includes(`tracker ${addr} could not prove it belongs to the cluster`)),
      seen.join("\n"),
    );
  }
  assert.ok(seen.some((l) => l.includes(`reached tracker ${t2.addr}`)), seen.join("\n"));
  // The rogue was asked to prove itself and got nothing else.
  assert.ok(rogue.received.some((r) => r["cmd"] === "prove"));
  assert.deepEqual(
    rogue.received.filter((r) =>
      "password" in r || "token" in r || r["cmd"] !== "ping" &&
        r["cmd"] !== "prove"
    ),
    [],
  );
  // The relay carried the proof request to t2, and no password or token.
  assert.match(relay.sent, /"cmd":"prove"/);
  assert.ok(!relay.sent.includes(PASSWORD), relay.sent);
  assert.ok(!relay.sent.includes('"token"'), relay.sent);
  if (typeof login?.token === "string") assert.ok(!relay.sent.includes(login.token));
});

Deno.test("before its first login a client trusts no tracker from a balancer that does not verify them", async () => {
  await using dir = await tempDir("client-trust-first-");
  await using rogue = new RogueTracker();
  await using balancer = new ScriptedBalancer();
  balancer.suggest = [rogue.addr];
  balancer.verified = false;
  await using bob = await startClientProc(join(dir.path, "bob"), [
    ...["--balancer", balancer.addr],
    ...FAST_HEARTBEAT,
  ]);
  const result = await bob.cmd(`create_user bob ${PASSWORD}`);
  assert.equal(result.ok, false);
  assert.equal(result.error?.code, "UNAVAILABLE");
  const seen = notices(bob.proc.stderrLines);
  assert.ok(
    seen.some((l) => l.includes(`tracker ${rogue.addr} is not trusted yet`)),
    seen.join("\n"),
  );
  assert.deepEqual(rogue.received, [], "the client never even connected to it");
});
