import assert from "node:assert/strict";
import { PEER_LEASE_MS } from "./config.ts";
import { AppError, type ErrorCode } from "../protocol/errors.ts";
import {
  credentialsOf,
  decideCreateUser,
  decideLogin,
  decideWrite,
  sessionUser,
} from "./decide.ts";
import { type Command, manifestOf, SimTracker } from "./_test_helpers.ts";
import { summarize } from "./piece_hashes.ts";

const ADDR_A = "127.0.0.1:4001";
const ADDR_B = "127.0.0.1:4002";
const HELLO = manifestOf("hello");
const OTHER = manifestOf("other");

/** alice owns g1 with member bob; carol asks to join; dave is outside. */
function fixture() {
  const t = new SimTracker(1);
  for (const user of ["alice", "bob", "carol", "dave"]) t.createUser(user);
  const tok = {
    alice: t.login("alice"),
    bob: t.login("bob"),
    carol: t.login("carol"),
    dave: t.login("dave"),
  };
  t.run(tok.alice, { cmd: "create_group", group: "g1" });
  t.run(tok.bob, { cmd: "join_group", group: "g1" });
  t.run(tok.alice, { cmd: "accept_request", group: "g1", user: "bob" });
  t.run(tok.carol, { cmd: "join_group", group: "g1" });
  return { t, tok };
}

function upload(
  name: string,
  manifest = HELLO,
  addr = ADDR_A,
): Extract<Command, { cmd: "upload_file" }> {
  return { cmd: "upload_file", group: "g1", name, addr, manifest };
}

function throwsCode(fn: () => unknown, code: ErrorCode, message?: string): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, code, e.message);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

Deno.test("decideCreateUser() refuses a taken name and credentialsOf() finds the winner", () => {
  const { t } = fixture();
  assert.deepEqual(credentialsOf(t.state, "alice"), { salt: "salt-alice", hash: "hash-pw" });
  assert.equal(credentialsOf(t.state, "nobody"), undefined);
  throwsCode(
    () => decideCreateUser(t.state, "alice", "s", "h"),
    "ALREADY_EXISTS",
    'Cannot create user "alice": the name is taken',
  );
});

Deno.test("decideLogin() refuses an unknown user; sessionUser() refuses unknown tokens", () => {
  const { t, tok } = fixture();
  const later = t.nowMs + 60_000;
  throwsCode(
    () => decideLogin(t.state, "nobody", { token: "tx", expiresMs: later }),
    "BAD_CREDENTIALS",
  );
  throwsCode(() => decideLogin(t.state, "bob", { token: tok.alice, expiresMs: later }), "CONFLICT");
  throwsCode(() => sessionUser(t.state, "made-up"), "NOT_LOGGED_IN");
  assert.equal(sessionUser(t.state, tok.bob), "bob");
});

Deno.test("decideWrite() logout invalidates the token but not the user's other session", () => {
  const { t, tok } = fixture();
  const second = t.login("alice");
  assert.deepEqual(t.run(tok.alice, { cmd: "logout" }), {});
  throwsCode(() => t.run(tok.alice, { cmd: "whoami" }), "NOT_LOGGED_IN");
  assert.deepEqual(t.run(second, { cmd: "whoami" }), { user: "alice" });
});

Deno.test("decideWrite() and answerQuery() refuse what the rules forbid", () => {
  const { t, tok } = fixture();
  t.run(tok.bob, upload("a.txt"));
  const cases: Array<[string, keyof typeof tok, Command, ErrorCode, string?]> = [
    ["group taken", "dave", { cmd: "create_group", group: "g1" }, "ALREADY_EXISTS"],
    ["join missing", "dave", { cmd: "join_group", group: "nope" }, "NOT_FOUND"],
    [
      "join twice as member",
      "bob",
      { cmd: "join_group", group: "g1" },
      "ALREADY_EXISTS",
      'Cannot join group "g1": user "bob" is already a member',
    ],
    ["join while pending", "carol", { cmd: "join_group", group: "g1" }, "ALREADY_EXISTS"],
    ["leave as outsider", "dave", { cmd: "leave_group", group: "g1" }, "FORBIDDEN"],
    ["leave missing", "dave", { cmd: "leave_group", group: "nope" }, "NOT_FOUND"],
    [
      "accept as member",
      "bob",
      { cmd: "accept_request", group: "g1", user: "carol" },
      "FORBIDDEN",
      'Cannot accept "carol" into group "g1": user "bob" is not the owner (the owner is "alice")',
    ],
    [
      "reject as outsider",
      "dave",
      { cmd: "reject_request", group: "g1", user: "carol" },
      "FORBIDDEN",
    ],
    [
      "accept no request",
      "alice",
      { cmd: "accept_request", group: "g1", user: "dave" },
      "NOT_FOUND",
    ],
    [
      "reject no request",
      "alice",
      { cmd: "reject_request", group: "g1", user: "dave" },
      "NOT_FOUND",
    ],
    [
      "accept a member",
      "alice",
      { cmd: "accept_request", group: "g1", user: "bob" },
      "ALREADY_EXISTS",
    ],
    ["list requests as member", "bob", { cmd: "list_requests", group: "g1" }, "FORBIDDEN"],
    ["list files as outsider", "dave", { cmd: "list_files", group: "g1" }, "FORBIDDEN"],
    ["list files as pending", "carol", { cmd: "list_files", group: "g1" }, "FORBIDDEN"],
    ["list files missing", "alice", { cmd: "list_files", group: "nope" }, "NOT_FOUND"],
    ["upload as outsider", "dave", upload("b.txt"), "FORBIDDEN"],
    [
      "upload other content",
      "alice",
      upload("a.txt", OTHER),
      "CONFLICT",
    ],
    [
      "download as outsider",
      "dave",
      { cmd: "download_file", group: "g1", name: "a.txt" },
      "FORBIDDEN",
      'Cannot download "a.txt" from group "g1": user "dave" is not a member',
    ],
    ["download missing", "alice", { cmd: "download_file", group: "g1", name: "x" }, "NOT_FOUND"],
    [
      "stop share not shared",
      "alice",
      { cmd: "stop_share", group: "g1", name: "a.txt" },
      "NOT_FOUND",
    ],
    [
      "stop share as outsider",
      "dave",
      { cmd: "stop_share", group: "g1", name: "a.txt" },
      "FORBIDDEN",
    ],
  ];
  for (const [what, who, command, code, message] of cases) {
    const before = t.log.length;
    throwsCode(() => t.run(tok[who], command), code, message);
    assert.equal(t.log.length, before, `${what}: a refused command wrote no op`);
  }
});

Deno.test("decideWrite() lets the owner accept a request, and lists roles", () => {
  const { t, tok } = fixture();
  assert.deepEqual(t.run(tok.alice, { cmd: "list_requests", group: "g1" }), {
    group: "g1",
    requests: ["carol"],
  });
  assert.deepEqual(t.run(tok.alice, { cmd: "accept_request", group: "g1", user: "carol" }), {
    group: "g1",
    user: "carol",
  });
  t.run(tok.dave, { cmd: "create_group", group: "g2" });
  t.run(tok.bob, { cmd: "join_group", group: "g2" });
  assert.deepEqual(t.run(tok.bob, { cmd: "list_groups" }).groups, [
    { group: "g1", owner: "alice", members: 3, role: "member" },
    { group: "g2", owner: "dave", members: 1, role: "pending" },
  ]);
  assert.deepEqual(t.run(tok.alice, { cmd: "list_groups" }).groups.map((g) => g.role), [
    "owner",
    "none",
  ]);
});

Deno.test("decideWrite() reject_request then a new request is pending again", () => {
  const { t, tok } = fixture();
  t.run(tok.alice, { cmd: "reject_request", group: "g1", user: "carol" });
  assert.deepEqual(t.run(tok.alice, { cmd: "list_requests", group: "g1" }).requests, []);
  assert.equal(t.run(tok.carol, { cmd: "list_groups" }).groups[0]?.role, "none");
  assert.deepEqual(t.run(tok.carol, { cmd: "join_group", group: "g1" }), {
    group: "g1",
    status: "pending",
  });
  assert.deepEqual(t.run(tok.alice, { cmd: "list_requests", group: "g1" }).requests, ["carol"]);
});

Deno.test("decideWrite() hands the group on when its owner leaves", () => {
  const { t, tok } = fixture();
  t.run(tok.alice, { cmd: "accept_request", group: "g1", user: "carol" });
  assert.deepEqual(t.run(tok.alice, { cmd: "leave_group", group: "g1" }), {
    group: "g1",
    newOwner: "bob",
    removed: false,
  });
  assert.deepEqual(t.run(tok.bob, { cmd: "list_groups" }).groups, [
    { group: "g1", owner: "bob", members: 2, role: "owner" },
  ]);
  // alice comes back: bob stays the owner.
  t.run(tok.alice, { cmd: "join_group", group: "g1" });
  t.run(tok.bob, { cmd: "accept_request", group: "g1", user: "alice" });
  assert.equal(t.run(tok.alice, { cmd: "list_groups" }).groups[0]?.owner, "bob");
  assert.deepEqual(t.run(tok.carol, { cmd: "leave_group", group: "g1" }), {
    group: "g1",
    newOwner: null,
    removed: false,
  });
});

Deno.test("decideWrite() removes a group when its last member leaves; the name is free", () => {
  const { t, tok } = fixture();
  t.run(tok.bob, { cmd: "leave_group", group: "g1" });
  assert.deepEqual(t.run(tok.alice, { cmd: "leave_group", group: "g1" }), {
    group: "g1",
    newOwner: null,
    removed: true,
  });
  assert.deepEqual(t.run(tok.alice, { cmd: "list_groups" }).groups, []);
  throwsCode(() => t.run(tok.carol, { cmd: "leave_group", group: "g1" }), "NOT_FOUND");
  t.run(tok.dave, { cmd: "create_group", group: "g1" });
  assert.deepEqual(t.run(tok.carol, { cmd: "list_groups" }).groups, [
    { group: "g1", owner: "dave", members: 1, role: "none" },
  ]);
});

Deno.test("decideWrite() withdraws a pending request on leave", () => {
  const { t, tok } = fixture();
  t.run(tok.carol, { cmd: "leave_group", group: "g1" });
  assert.deepEqual(t.run(tok.alice, { cmd: "list_requests", group: "g1" }).requests, []);
});

Deno.test("decideWrite() upload_file: same name and content makes one more seeder", () => {
  const { t, tok } = fixture();
  assert.deepEqual(t.run(tok.alice, upload("a.txt", HELLO, ADDR_A)), {
    group: "g1",
    name: "a.txt",
    fileHash: HELLO.fileHash,
    seeders: 1,
  });
  assert.equal(t.run(tok.bob, upload("a.txt", HELLO, ADDR_B)).seeders, 2);
  assert.deepEqual(t.run(tok.bob, { cmd: "list_files", group: "g1" }).files, [
    { name: "a.txt", size: HELLO.size, fileHash: HELLO.fileHash, seeders: 2, partials: 0 },
  ]);
  assert.deepEqual(t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" }), {
    group: "g1",
    name: "a.txt",
    manifest: summarize(HELLO).summary, // the server adds the piece hashes from disk
    peers: [{ user: "alice", addr: ADDR_A }, { user: "bob", addr: ADDR_B }],
  });
});

Deno.test("decideWrite() upload_file: different content under the name is a CONFLICT", () => {
  const { t, tok } = fixture();
  t.run(tok.alice, upload("a.txt", HELLO));
  throwsCode(() => t.run(tok.bob, upload("a.txt", OTHER)), "CONFLICT");
  // The same content under another name is fine.
  assert.equal(t.run(tok.bob, upload("b.txt", OTHER)).seeders, 1);
  // Another piece layout makes another id (the id binds it), so under the same name it is
  // other content.
  throwsCode(() => t.run(tok.bob, upload("a.txt", manifestOf("hello", 8))), "CONFLICT");
});

Deno.test("decideWrite() upload_file again from the same client is idempotent", () => {
  const { t, tok } = fixture();
  t.run(tok.alice, upload("a.txt", HELLO, ADDR_A));
  const user = sessionUser(t.state, tok.alice);
  const req = { ...upload("a.txt", HELLO, ADDR_A), token: tok.alice } as const;
  assert.deepEqual(decideWrite(t.state, req as never, user).bodies, []);
});

Deno.test("decideWrite() one user on two clients is two peers; stopping one leaves the other", () => {
  const { t, tok } = fixture();
  t.run(tok.alice, upload("a.txt", HELLO, ADDR_A));
  assert.equal(t.run(tok.alice, upload("a.txt", HELLO, ADDR_B)).seeders, 2);
  const reply = t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" });
  assert.deepEqual(reply.peers, [{ user: "alice", addr: ADDR_A }, { user: "alice", addr: ADDR_B }]);
  t.run(tok.alice, { cmd: "stop_share", group: "g1", name: "a.txt", addr: ADDR_B });
  const after = t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" });
  assert.deepEqual(after.peers, [{ user: "alice", addr: ADDR_A }]);
  // The client at A quits: its lease ends and nobody is left.
  t.run(tok.alice, { cmd: "keep_alive", addr: ADDR_A, leaving: true });
  throwsCode(
    () => t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" }),
    "UNAVAILABLE",
  );
  assert.deepEqual(t.run(tok.bob, { cmd: "list_files", group: "g1" }).files, [
    { name: "a.txt", size: HELLO.size, fileHash: HELLO.fileHash, seeders: 0, partials: 0 },
  ]);
  // It comes back by itself: the next keep-alive renews the lease.
  t.run(tok.alice, { cmd: "keep_alive", addr: ADDR_A });
  const back = t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" });
  assert.deepEqual(back.peers, [{ user: "alice", addr: ADDR_A }]);
});

Deno.test("decideWrite() a peer whose lease ran out is not handed out; partial peers are marked", () => {
  const { t, tok } = fixture();
  t.run(tok.alice, upload("a.txt", HELLO, ADDR_A));
  t.run(tok.bob, { ...upload("a.txt", HELLO, ADDR_B), partial: true });
  const reply = t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" });
  assert.deepEqual(reply.peers, [
    { user: "alice", addr: ADDR_A },
    { user: "bob", addr: ADDR_B, partial: true },
  ]);
  assert.equal(t.run(tok.bob, { cmd: "list_files", group: "g1" }).files[0]?.partials, 1);
  // Time passes; only bob keeps renewing: alice's client is gone on every tracker holding the ops.
  for (let i = 0; i < 6; i++) {
    t.nowMs += PEER_LEASE_MS / 4;
    t.run(tok.bob, { cmd: "keep_alive", addr: ADDR_B });
  }
  const later = t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" });
  assert.deepEqual(later.peers, [{ user: "bob", addr: ADDR_B, partial: true }]);
  // Renewals write an op only once half of the lease has run.
  const before = t.state.peerLeases.get(`bob ${ADDR_B}`)?.stamp;
  t.run(tok.bob, { cmd: "keep_alive", addr: ADDR_B });
  assert.equal(t.state.peerLeases.get(`bob ${ADDR_B}`)?.stamp, before);
});

Deno.test("decideWrite() stop_share: the last seeder gone hides the file", () => {
  const { t, tok } = fixture();
  t.run(tok.alice, upload("a.txt"));
  t.run(tok.alice, { cmd: "stop_share", group: "g1", name: "a.txt" });
  assert.deepEqual(t.run(tok.bob, { cmd: "list_files", group: "g1" }).files, []);
  throwsCode(
    () => t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" }),
    "UNAVAILABLE",
    'Cannot download "a.txt" from group "g1": nobody is sharing it now',
  );
  // With nobody sharing it, the name may take new content.
  assert.equal(t.run(tok.bob, upload("a.txt", OTHER)).fileHash, OTHER.fileHash);
});

Deno.test("decideWrite() leave_group and a last logout stop the user's shares", () => {
  const { t, tok } = fixture();
  t.run(tok.alice, upload("a.txt"));
  t.run(tok.bob, upload("a.txt", HELLO, ADDR_B));
  t.run(tok.bob, upload("b.txt", OTHER, ADDR_B));
  t.run(tok.bob, { cmd: "leave_group", group: "g1" });
  assert.deepEqual(
    t.run(tok.alice, { cmd: "list_files", group: "g1" }).files.map((f) => f.seeders),
    [1],
  );
  const extra = t.login("alice");
  t.run(tok.alice, { cmd: "logout" });
  assert.equal(t.run(extra, { cmd: "list_files", group: "g1" }).files.length, 1);
  t.run(extra, { cmd: "logout" });
  const again = t.login("alice");
  assert.deepEqual(t.run(again, { cmd: "list_files", group: "g1" }).files, []);
});

Deno.test("decideWrite() keep_alive only ever touches the caller's own client", () => {
  const { t, tok } = fixture();
  t.run(tok.alice, upload("a.txt", HELLO, ADDR_A));
  // Bob cannot end alice's lease by naming her address: his key is his own.
  t.run(tok.bob, { cmd: "keep_alive", addr: ADDR_A, leaving: true });
  const reply = t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" });
  assert.deepEqual(reply.peers, [{ user: "alice", addr: ADDR_A }]);
  // Nor make his never-shared address a peer; leaving an address never leased writes nothing.
  t.run(tok.bob, { cmd: "keep_alive", addr: ADDR_B });
  assert.deepEqual(t.run(tok.bob, { cmd: "download_file", group: "g1", name: "a.txt" }).peers, [
    { user: "alice", addr: ADDR_A },
  ]);
  const user = sessionUser(t.state, tok.carol);
  const leave = { cmd: "keep_alive", token: tok.carol, addr: ADDR_B, leaving: true } as const;
  assert.deepEqual(decideWrite(t.state, leave, user).bodies, []);
});
