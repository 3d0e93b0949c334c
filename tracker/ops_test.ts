import assert from "node:assert/strict";
import { AppError } from "../protocol/errors.ts";
import { formatStamp } from "./hlc.ts";
import { type OpBody, parseOp } from "./ops.ts";
import { manifestOf, seededRandom } from "./_test_helpers.ts";

const STAMP = formatStamp({ ms: 1_700_000_000_000, counter: 3 }, 2);
const EPOCH = formatStamp({ ms: 1_700_000_000_000, counter: 1 }, 1);
const MANIFEST = manifestOf("hello");
const TOKEN_HASH = "ab".repeat(32);

const VALID_BODIES: OpBody[] = [
  { type: "create_user", user: "alice", salt: "aa", hash: "bb" },
  { type: "open_session", tokenHash: TOKEN_HASH, user: "alice", userStamp: EPOCH, expiresMs: 9 },
  { type: "close_session", tokenHash: TOKEN_HASH, expiresMs: 9 },
  { type: "create_group", group: "g1", owner: "alice" },
  { type: "remove_group", group: "g1", epoch: EPOCH },
  { type: "set_member", group: "g1", epoch: EPOCH, user: "bob", status: "pending" },
  { type: "set_owner", group: "g1", epoch: EPOCH, user: "bob" },
  {
    type: "share_file",
    group: "g1",
    epoch: EPOCH,
    name: "a file.txt",
    user: "bob",
    addr: "127.0.0.1:4000",
    fileHash: MANIFEST.fileHash,
    since: EPOCH,
    manifest: MANIFEST,
  },
  {
    type: "share_file",
    group: "g1",
    epoch: EPOCH,
    name: "b.txt",
    user: "bob",
    addr: "127.0.0.1:4000",
    fileHash: MANIFEST.fileHash,
  },
  { type: "unshare_file", group: "g1", epoch: EPOCH, name: "a file.txt", user: "bob" },
];

function isBadRequest(e: unknown): boolean {
  return e instanceof AppError && e.code === "BAD_REQUEST";
}

Deno.test("parseOp() accepts every valid body and returns an equal op", () => {
  for (const body of VALID_BODIES) {
    const op = { origin: 2, seq: 7, stamp: STAMP, body };
    assert.deepEqual(parseOp(JSON.parse(JSON.stringify(op))), op);
  }
});

Deno.test("parseOp() drops unknown fields", () => {
  const op = parseOp({
    origin: 2,
    seq: 1,
    stamp: STAMP,
    extra: 1,
    body: { ...VALID_BODIES[2], x: 1 },
  });
  assert.deepEqual(op, {
    origin: 2,
    seq: 1,
    stamp: STAMP,
    body: { type: "close_session", tokenHash: TOKEN_HASH, expiresMs: 9 },
  });
});

Deno.test("parseOp() refuses ill-formed ops with BAD_REQUEST", () => {
  const body = VALID_BODIES[0];
  const cases: unknown[] = [
    null,
    42,
    "op",
    [],
    {},
    { seq: 1, stamp: STAMP, body },
    { origin: 2, stamp: STAMP, body },
    { origin: 2, seq: 1, body },
    { origin: 2, seq: 1, stamp: STAMP },
    { origin: 2, seq: 0, stamp: STAMP, body },
    { origin: -2, seq: 1, stamp: STAMP, body },
    { origin: 2.5, seq: 1, stamp: STAMP, body },
    { origin: "2", seq: 1, stamp: STAMP, body },
    { origin: 3, seq: 1, stamp: STAMP, body },
    { origin: 2, seq: 1, stamp: "yesterday", body },
    { origin: 2, seq: 1, stamp: STAMP, body: [] },
    { origin: 2, seq: 1, stamp: STAMP, body: { type: "drop_table" } },
    { origin: 2, seq: 1, stamp: STAMP, body: { type: "__proto__" } },
    {
      origin: 2,
      seq: 1,
      stamp: STAMP,
      body: { type: "create_user", user: "a b", salt: "s", hash: "h" },
    },
    { origin: 2, seq: 1, stamp: STAMP, body: { ...VALID_BODIES[5], status: "owner" } },
    { origin: 2, seq: 1, stamp: STAMP, body: { ...VALID_BODIES[5], epoch: "x" } },
    { origin: 2, seq: 1, stamp: STAMP, body: { ...VALID_BODIES[7], addr: "nowhere" } },
    { origin: 2, seq: 1, stamp: STAMP, body: { ...VALID_BODIES[7], name: "../etc/passwd" } },
    { origin: 2, seq: 1, stamp: STAMP, body: { ...VALID_BODIES[7], fileHash: "ABC" } },
    { origin: 2, seq: 1, stamp: STAMP, body: { ...VALID_BODIES[7], since: 5 } },
    {
      origin: 2,
      seq: 1,
      stamp: STAMP,
      body: { ...VALID_BODIES[7], manifest: manifestOf("other") },
    },
    {
      origin: 2,
      seq: 1,
      stamp: STAMP,
      body: { ...VALID_BODIES[7], manifest: { ...MANIFEST, pieceHashes: [] } },
    },
  ];
  for (const raw of cases) {
    assert.throws(() => parseOp(raw), isBadRequest, JSON.stringify(raw));
  }
});

function randomValue(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * 8);
  const keys = ["origin", "seq", "stamp", "body", "type", "user", "group", "epoch", "token"];
  switch (pick) {
    case 0:
      return null;
    case 1:
      return Math.floor(random() * 1e6) - 10;
    case 2:
      return random() < 0.5 ? STAMP : "x".repeat(Math.floor(random() * 40));
    case 3:
      return random() < 0.5;
    case 4:
      return depth > 2 ? [] : [randomValue(random, depth + 1)];
    default: {
      if (depth > 3) return {};
      const out: Record<string, unknown> = {};
      const n = Math.floor(random() * 6);
      for (let i = 0; i < n; i++) {
        const key = keys[Math.floor(random() * keys.length)] as string;
        out[key] = randomValue(random, depth + 1);
      }
      return out;
    }
  }
}

Deno.test("parseOp() refuses random garbage with BAD_REQUEST only", () => {
  const random = seededRandom(99);
  for (let i = 0; i < 3000; i++) {
    const raw = randomValue(random, 0);
    try {
      parseOp(raw);
    } catch (e) {
      assert.ok(isBadRequest(e), `unexpected error for ${JSON.stringify(raw)}: ${e}`);
    }
  }
});

Deno.test("parseOp() refuses valid ops with one field broken", () => {
  const random = seededRandom(5);
  const junk = [null, 1, -1, "", "x", [], {}, true, "a/b", STAMP];
  for (let i = 0; i < 500; i++) {
    const body = { ...VALID_BODIES[i % VALID_BODIES.length] } as Record<string, unknown>;
    const fields = Object.keys(body).filter((k) => k !== "manifest");
    const field = fields[Math.floor(random() * fields.length)] as string;
    const value = junk[Math.floor(random() * junk.length)];
    body[field] = value;
    try {
      const op = parseOp({ origin: 2, seq: 1, stamp: STAMP, body });
      // Some replacements are still valid values for the field.
      assert.equal((op.body as Record<string, unknown>)[field], value);
    } catch (e) {
      assert.ok(isBadRequest(e), String(e));
    }
  }
});

Deno.test("parseOp() keeps a retry record and refuses a malformed one", () => {
  const body: OpBody = { type: "create_group", group: "g1", owner: "alice" };
  const retry = { key: "create_group:alice:abcdef12", reply: { group: "g1" } };
  const op = { origin: 2, seq: 1, stamp: STAMP, body, retry };
  assert.deepEqual(parseOp(JSON.parse(JSON.stringify(op))), op);
  for (const bad of [{ key: 5, reply: {} }, { key: "k", reply: "x" }, "retry", { reply: {} }]) {
    assert.throws(
      () => parseOp({ ...op, retry: bad }),
      (e) => e instanceof AppError && e.code === "BAD_REQUEST",
      JSON.stringify(bad),
    );
  }
});
