import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { type Caller, PasswordHasher } from "./password_hasher.ts";

const SALT = new Uint8Array(16);

function caller(source: string): Caller {
  return { source, conn: {} };
}

function code(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "ok",
    (error) => (error instanceof AppError ? error.code : String(error)),
  );
}

Deno.test("PasswordHasher refuses a caller past its connection, address or total limit at once", async () => {
  const hasher = new PasswordHasher({
    slots: 1,
    maxQueued: 5,
    maxPerSource: 3,
    maxPerConnection: 2,
  });
  const one = caller("10.0.0.1");
  const sameAddress = caller("10.0.0.1");
  const results = [
    code(hasher.hash({ password: "a", salt: SALT, caller: one })),
    code(hasher.hash({ password: "b", salt: SALT, caller: one })),
    code(hasher.hash({ password: "c", salt: SALT, caller: one })), // third on one connection
    code(hasher.hash({ password: "d", salt: SALT, caller: sameAddress })),
    code(hasher.hash({ password: "e", salt: SALT, caller: sameAddress })), // fourth from the address
    code(hasher.hash({ password: "f", salt: SALT, caller: caller("10.0.0.2") })),
    code(hasher.hash({ password: "g", salt: SALT, caller: caller("10.0.0.3") })),
    code(hasher.hash({ password: "h", salt: SALT, caller: caller("10.0.0.4") })), // sixth in all
  ];
  assert.deepEqual(await Promise.all(results), [
    "ok",
    "ok",
    "UNAVAILABLE",
    "ok",
    "UNAVAILABLE",
    "ok",
    "ok",
    "UNAVAILABLE",
  ]);
  // Everything finished: the limits are free again.
  assert.equal(await code(hasher.hash({ password: "i", salt: SALT, caller: one })), "ok");
});

Deno.test("PasswordHasher serves addresses in turn, not in arrival order", async () => {
  const hasher = new PasswordHasher({
    slots: 1,
    maxQueued: 100,
    maxPerSource: 100,
    maxPerConnection: 100,
  });
  const order: string[] = [];
  const busy = caller("10.0.0.1");
  const jobs = Array.from(
    { length: 6 },
    (_, i) =>
      hasher.hash({ password: `x${i}`, salt: SALT, caller: busy }).then(() =>
        order.push(`busy${i}`)
      ),
  );
  const other = hasher.hash({ password: "y", salt: SALT, caller: caller("10.0.0.2") })
    .then(() => order.push("other"));
  await Promise.all([...jobs, other]);
  assert.ok(order.indexOf("other") <= 2, order.join(","));
});

Deno.test("PasswordHasher runs a job's check when its turn comes, and refuses it if it throws", async () => {
  const hasher = new PasswordHasher({
    slots: 1,
    maxQueued: 10,
    maxPerSource: 10,
    maxPerConnection: 10,
  });
  let refuse = false;
  const check = () => {
    if (refuse) throw new AppError("UNAVAILABLE", "wait");
  };
  const first = code(hasher.hash({ password: "a", salt: SALT, caller: caller("s"), check }));
  const second = code(hasher.hash({ password: "b", salt: SALT, caller: caller("s"), check }));
  refuse = true;
  assert.deepEqual([await first, await second], ["ok", "UNAVAILABLE"]);
});
