import assert from "node:assert/strict";
import { ConnWatch } from "./conn_watch.ts";

const LIMITS = { firstMessageMs: 10_000, idleMs: 3000 };

function watchAt(startMs: number) {
  let now = startMs;
  const watch = new ConnWatch(() => now);
  return { watch, at: (ms: number) => now = ms };
}

Deno.test("ConnWatch: a stranger is overdue at the first-message deadline however much it talks", () => {
  const { watch, at } = watchAt(0);
  for (let ms = 1000; ms < 10_000; ms += 1000) {
    at(ms);
    watch.heard();
    assert.equal(watch.overdue(ms, LIMITS), undefined);
  }
  assert.equal(watch.overdue(10_000, LIMITS), "no valid first message");
});

Deno.test("ConnWatch: a greeted connection is overdue only after the idle time in silence", () => {
  const { watch, at } = watchAt(0);
  at(500);
  watch.heard();
  watch.greeted();
  assert.equal(watch.overdue(3499, LIMITS), undefined);
  assert.equal(watch.overdue(3500, LIMITS), "silent");
  at(3400);
  watch.heard();
  assert.equal(watch.overdue(20_000 - 1, { ...LIMITS, idleMs: 20_000 }), undefined);
});

Deno.test("ConnWatch: silence does not count while the server is answering, and restarts after", () => {
  const { watch, at } = watchAt(0);
  watch.greeted();
  const done = watch.busy();
  assert.equal(watch.overdue(60_000, LIMITS), undefined);
  at(60_000);
  done();
  done(); // a second call changes nothing
  assert.equal(watch.overdue(62_999, LIMITS), undefined);
  assert.equal(watch.overdue(63_000, LIMITS), "silent");
});
