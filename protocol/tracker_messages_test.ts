import assert from "node:assert/strict";
import { AppError, type ErrorCode } from "./errors.ts";
import { parseJsonObject } from "./framing.ts";
import { fileHashOf } from "./manifest.ts";
import { parseRetryId, parseTrackerRequest, TRACKER_COMMANDS } from "./tracker_messages.ts";

const H = "a".repeat(64);
const T = "t".repeat(64);
const MANIFEST = {
  fileHash: fileHashOf({ size: 3, pieceSize: 2, pieceHashes: [H, H] }),
  size: 3,
  pieceSize: 2,
  pieceHashes: [H, H],
};
const MANIFEST_4 = {
  ...MANIFEST,
  size: 4,
  fileHash: fileHashOf({ size: 4, pieceSize: 2, pieceHashes: [H, H] }),
};

function codeOf(raw: Record<string, unknown>): ErrorCode | undefined {
  try {
    parseTrackerRequest(raw);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error.code;
  }
}

/** One valid request per command. */
const VALID: Record<string, Record<string, unknown>> = {
  ping: {},
  status: {},
  digest: {},
  create_user: { user: "bob", password: "pw" },
  login: { user: "bob", password: "pw" },
  logout: { token: T },
  whoami: { token: T },
  list_groups: { token: T },
  create_group: { token: T, group: "g1" },
  join_group: { token: T, group: "g1" },
  leave_group: { token: T, group: "g1" },
  list_requests: { token: T, group: "g1" },
  accept_request: { token: T, group: "g1", user: "amy" },
  reject_request: { token: T, group: "g1", user: "amy" },
  list_files: { token: T, group: "g1" },
  upload_file: {
    token: T,
    group: "g1",
    name: "a b.txt",
    addr: "127.0.0.1:9000",
    manifest: MANIFEST,
  },
  download_file: { token: T, group: "g1", name: "a b.txt" },
  stop_share: { token: T, group: "g1", name: "a b.txt" },
  keep_alive: { token: T, addr: "127.0.0.1:9000" },
};

Deno.test("parseTrackerRequest() accepts every command with its fields", () => {
  assert.deepEqual([...TRACKER_COMMANDS].sort(), Object.keys(VALID).sort());
  for (const [cmd, fields] of Object.entries(VALID)) {
    const req = parseTrackerRequest({ id: 1, cmd, ...fields, extra: "ignored" });
    assert.equal(req.cmd, cmd);
    assert.ok(!("extra" in req) && !("id" in req));
  }
});

Deno.test("parseTrackerRequest() refuses each missing or ill-typed field with BAD_REQUEST", () => {
  for (const [cmd, fields] of Object.entries(VALID)) {
    for (const field of Object.keys(fields)) {
      const missing = { cmd, ...fields };
      delete (missing as Record<string, unknown>)[field];
      assert.equal(codeOf(missing), "BAD_REQUEST", `${cmd} without ${field}`);
      assert.equal(codeOf({ cmd, ...fields, [field]: 12 }), "BAD_REQUEST", `${cmd} ${field}=12`);
    }
  }
});

Deno.test("parseTrackerRequest() refuses unknown commands and a missing cmd", () => {
  assert.equal(codeOf({ cmd: "format_disk" }), "UNKNOWN_COMMAND");
  assert.equal(codeOf({ cmd: "__proto__" }), "UNKNOWN_COMMAND");
  assert.equal(codeOf({ cmd: "toString" }), "UNKNOWN_COMMAND");
  assert.equal(codeOf({}), "BAD_REQUEST");
  assert.equal(codeOf({ cmd: ["ping"] }), "BAD_REQUEST");
});

Deno.test("parseTrackerRequest() refuses a manifest that does not match its size", () => {
  const raw = { cmd: "upload_file", ...VALID["upload_file"], manifest: { ...MANIFEST, size: 99 } };
  assert.equal(codeOf(raw), "BAD_REQUEST");
});

/** Values each field must accept, and values it must refuse. */
const FIELD_VALUES: Record<string, { good: unknown[]; bad: unknown[] }> = {
  token: { good: [T, "x", "t".repeat(128)], bad: ["", "t".repeat(129), 12, null, [T], {}] },
  group: {
    good: ["g1", "a.b@c-d_e", "g".repeat(64)],
    bad: ["", "a/b", "a b", "g".repeat(65), 5, null, ["g1"]],
  },
  user: { good: ["amy", "A_1", "u".repeat(64)], bad: ["", "amy!", "u".repeat(65), true, {}] },
  password: { good: ["pw", " spaced out ", "p".repeat(256)], bad: ["", "p".repeat(257), 0, null] },
  name: {
    good: ["a b.txt", "...", "n".repeat(255)],
    bad: ["", ".", "..", "a/b", "a\\b", "a\nb", "n".repeat(256), 7],
  },
  addr: {
    good: ["127.0.0.1:9000", "host:1", "h:65535", "[::1]:80"],
    bad: ["127.0.0.1", "h:0", "h:65536", 9000, "", "a b:1"],
  },
  manifest: {
    good: [MANIFEST, MANIFEST_4],
    bad: [
      { ...MANIFEST, size: 99 },
      { ...MANIFEST, pieceHashes: [H, "x"] },
      { ...MANIFEST, size: 4 },
      { ...MANIFEST, fileHash: H },
      [],
      null,
      "m",
      {},
    ],
  },
};

Deno.test("parseTrackerRequest() on random requests: accepts exactly the good values, refuses any bad one with BAD_REQUEST", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const cmd = pick(TRACKER_COMMANDS);
    const raw: Record<string, unknown> = { cmd };
    let anyBad = false;
    for (const field of Object.keys(VALID[cmd]!)) {
      const bad = random() < 0.2;
      anyBad ||= bad;
      raw[field] = pick(bad ? FIELD_VALUES[field]!.bad : FIELD_VALUES[field]!.good);
    }
    const sent = parseJsonObject(JSON.stringify(raw));
    if (anyBad) {
      assert.equal(codeOf(sent), "BAD_REQUEST", JSON.stringify(raw));
      refused++;
    } else {
      assert.deepEqual(parseTrackerRequest(sent), raw);
      accepted++;
    }
  }
  assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
});

Deno.test("parseTrackerRequest() refuses a cmd that is not a string with BAD_REQUEST, an unknown name with UNKNOWN_COMMAND", () => {
  for (const cmd of [null, 0, true, [], {}, ["ping"]]) {
    assert.equal(codeOf({ cmd, ...VALID["ping"] }), "BAD_REQUEST", JSON.stringify(cmd));
  }
  for (const cmd of ["", "PING", "ping ", "constructor", "hasOwnProperty", "x".repeat(1000)]) {
    assert.equal(codeOf({ cmd }), "UNKNOWN_COMMAND", cmd.slice(0, 20));
  }
});

Deno.test("parseRetryId() reads an optional retry id and refuses a malformed one", () => {
  assert.equal(parseRetryId({}), undefined);
  assert.equal(parseRetryId({ rid: null }), undefined);
  assert.equal(parseRetryId({ rid: "a1b2c3d4-e5f6" }), "a1b2c3d4-e5f6");
  for (const rid of [5, "short", "has space here", "x".repeat(65), ["abcdefgh"]]) {
    assert.throws(
      () => parseRetryId({ rid }),
      (e) => e instanceof AppError && e.code === "BAD_REQUEST",
      JSON.stringify(rid),
    );
  }
});
