import assert from "node:assert/strict";
import { AppError, type ErrorCode } from "../../protocol/errors.ts";
import { COMMANDS, helpLines, parseCommand, usageOf } from "./command_table.ts";

const OK: [string[], boolean][] = [
  [["create_user", "alice", "pw"], false],
  [["login", "alice", "pw with space"], false],
  [["list_groups"], true],
  [["upload_file", "/tmp/my file.txt", "g1"], true],
  [["download_file", "g1", "my file.txt", "."], true],
  [["show_downloads"], false],
  [["help"], false],
  [["quit"], true],
];

for (const [words, loggedIn] of OK) {
  Deno.test(`parseCommand() accepts ${words.join(" ")}`, () => {
    assert.deepEqual(parseCommand(words, loggedIn), { name: words[0], args: words.slice(1) });
  });
}

const BAD: [string[], boolean, ErrorCode, RegExp][] = [
  [["frobnicate"], true, "UNKNOWN_COMMAND", /Unknown command "frobnicate"/],
  [["login", "alice"], false, "BAD_REQUEST", /login takes 2 arguments, got 1; usage: login <user>/],
  [["logout", "now"], true, "BAD_REQUEST", /logout takes 0 arguments, got 1/],
  [["join_group", "g1"], false, "NOT_LOGGED_IN", /join_group needs a login/],
  [["create_group", "bad group"], true, "BAD_REQUEST", /not a valid group name/],
  [["accept_request", "g1", "b/ob"], true, "BAD_REQUEST", /not a valid user name/],
  [["stop_share", "g1", "a/b"], true, "BAD_REQUEST", /not a valid file name/],
  [["upload_file", "", "g1"], true, "BAD_REQUEST", /path must not be empty/],
];

for (const [words, loggedIn, code, message] of BAD) {
  Deno.test(`parseCommand() refuses ${JSON.stringify(words)} with ${code}`, () => {
    assert.throws(
      () => parseCommand(words, loggedIn),
      (e: unknown) => e instanceof AppError && e.code === code && message.test(e.message),
    );
  });
}

Deno.test("parseCommand() checks arguments before the login", () => {
  assert.throws(
    () => parseCommand(["join_group"], false),
    (e: unknown) => e instanceof AppError && e.code === "BAD_REQUEST",
  );
});

Deno.test("helpLines() lists every command with its usage", () => {
  const lines = helpLines();
  assert.equal(lines.length, COMMANDS.length);
  assert.ok(lines.some((l) => l.usage === "download_file <group> <name> <destination>"));
  assert.equal(usageOf(COMMANDS[0]!), "create_user <user> <password>");
});
