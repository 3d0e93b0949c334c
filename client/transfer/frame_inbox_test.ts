import assert from "node:assert/strict";
import { FrameInbox } from "./frame_inbox.ts";

Deno.test("FrameInbox.push() waits while full and hands items out in order", async () => {
  const inbox = new FrameInbox<number>(2);
  assert.equal(await inbox.push(1), true);
  assert.equal(await inbox.push(2), true);
  let third = false;
  const pushing = inbox.push(3).then((ok) => (third = ok));
  await Promise.resolve();
  assert.equal(third, false, "the third push waits for room");
  assert.equal(await inbox.next(), 1);
  await pushing;
  assert.equal(third, true);
  inbox.end();
  assert.deepEqual([await inbox.next(), await inbox.next(), await inbox.next()], [2, 3, undefined]);
});

Deno.test("FrameInbox.abort() drops what is queued and refuses later pushes", async () => {
  const inbox = new FrameInbox<number>(1);
  await inbox.push(1);
  const waiting = inbox.push(2);
  inbox.abort();
  assert.equal(await waiting, false);
  assert.equal(await inbox.push(3), false);
  assert.equal(await inbox.next(), undefined);
  // A server waiting on an empty inbox is woken by the reader's end.
  const empty = new FrameInbox<number>(1);
  const pending = empty.next();
  empty.end();
  assert.equal(await pending, undefined);
});
