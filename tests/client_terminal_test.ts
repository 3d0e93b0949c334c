/**
 * The client at a terminal, through a real pseudo-terminal 80 columns wide:
 * live progress that fits, redraws in place and follows a resize, Tab completion, `~` in a
 * destination, Ctrl-C that clears the line and stops a `wait`, notices above
 * a half-typed line, and a quit that says running downloads will resume.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProgram, tempDir } from "./harness.ts";
import { startClientProc, writeTestFile } from "./client_helpers.ts";
import { havePty, startInPty, visibleLines } from "./pty.ts";

const FILE = "a-rather-long-holiday-video-from-last-summer-final-cut.mkv";

Deno.test({
  name: "client terminal: wait fits 80 columns and redraws in place; Tab, ~, Ctrl-C, quit",
  ignore: !havePty(),
  fn: async () => {
    await using dir = await tempDir();
    const home = join(dir.path, "home");
    await Deno.mkdir(home);
    await using tracker = await spawnProgram("tracker", [
      "--data-dir",
      join(dir.path, "t"),
      "--port",
      "0",
    ]);
    await using seed = await startClientProc(join(dir.path, "seed"), [
      "--tracker",
      tracker.addr,
      "--upload-limit",
      "1M",
    ]);
    await seed.ok("create_user alice pw-alice");
    await seed.ok("login alice pw-alice");
    await seed.ok("create_group friends");
    await writeTestFile(join(dir.path, FILE), 6 * 1024 * 1024);
    await seed.ok(`upload_file ${join(dir.path, FILE)} friends`);
    await seed.ok("create_user bob pw-bob");

    await using term = startInPty("client", [
      "--tracker",
      tracker.addr,
      "--data-dir",
      join(dir.path, "bob"),
    ], { columns: 80, env: { HOME: home } });
    await term.waitFor(/p2p> /);
    await term.type("login bob pw-bob\r");
    await term.waitFor(new RegExp(`Logged in as bob at ${tracker.addr}`));
    await term.type("join_gr\tfri\t");
    await term.waitFor(/join_group friends /);
    await term.type("\r");
    await term.waitFor(/Asked to join "friends"/);
    await seed.ok("accept_request friends bob");

    await term.type("download_file friends a-r\t");
    await term.waitFor(
      /download_file friends a-rather-long-holiday-video-from-last-summer-final-cut\.mkv /,
    );
    await term.type("~/\r");
    await term.waitFor(new RegExp(`Download 1: .* to ${home}/${FILE}`));
    await term.type("wait\r");
    await term.waitFor(/\n1 a-r[^\n]*%/);
    // The window narrows mid-wait: the next lines fit the new width.
    const beforeResize = term.output.length;
    await term.resize(50);
    await term.waitFor(/complete, 6\.0 MiB at .* in \d+.*avg\)/, 30_000);
    const live = visibleLines(term.output).filter((l) => /^1 a-r.*%/.test(l));
    assert.ok(live.length >= 1, "the live line was drawn");
    const narrowed = visibleLines(term.output.slice(beforeResize)).filter((l) => /^1 .*%/.test(l));
    assert.ok(narrowed.length >= 1, "redrawn after the resize");
    for (const line of narrowed) assert.ok(line.length < 50, `fits 50 columns: ${line}`);
    assert.ok(term.output.includes("\x1b[1F\x1b[J"), "redrawn in place: up one line, clear, draw");
    const shown = visibleLines(term.output);
    // What Deno prints while it fetches packages comes before the ready line.
    for (const line of shown.slice(shown.findIndex((l) => /client ready/.test(l)) + 1)) {
      if (!line.startsWith("notice:") && !/^p2p> /.test(line) && !line.includes(home)) {
        assert.ok(line.length < 80, `fits 80 columns: ${JSON.stringify(line)}`);
      }
    }
    assert.deepEqual(
      await Deno.readFile(join(home, FILE)),
      await Deno.readFile(join(dir.path, FILE)),
    );

    await term.resize(80);
    await term.type("show_downloads\r");
    await term.waitFor(/^1 +friends.*complete +100% +.* avg +- +\d+/m);

    await term.type("create_gr\x03");
    await term.waitFor(/create_gr.*\^C/);
    await term.type("whoami\r");
    await term.waitFor(new RegExp(`bob at ${tracker.addr}`));

    // A second download still running when bob quits: he is told it resumes.
    await term.type(`download_file friends ${FILE} ~/copy.mkv\r`);
    await term.waitFor(/Download 2: /);
    await term.type("quit\r");
    await term.waitFor(/1 download stopped; it resumes at the next start/);
    assert.equal((await term.status).code, 0);
  },
});

Deno.test({
  name:
    "client terminal: a notice prints above a half-typed line; two Ctrl-C on an empty line exit",
  ignore: !havePty(),
  fn: async () => {
    await using dir = await tempDir();
    const tracker = await spawnProgram("tracker", [
      "--data-dir",
      join(dir.path, "t"),
      "--port",
      "0",
    ]);
    try {
      await using term = startInPty("client", [
        "--tracker",
        tracker.addr,
        "--data-dir",
        join(dir.path, "c"),
        "--heartbeat-interval",
        "200",
        "--heartbeat-timeout",
        "600",
      ], { columns: 80 });
      await term.waitFor(/p2p> /);
      await term.type("create_user ann pw\r");
      await term.waitFor(/User "ann" created/);
      await term.type("list_gr");
      await term.waitFor(/list_gr/);
      await tracker.stop();
      await term.waitFor(/notice: [^\r\n]*stopped answering[^\r\n]*[\r\n]+p2p> list_gr/, 20_000);
      await term.type("\x15\x03");
      await term.waitFor(/press Ctrl-C again or type quit to exit/);
      await term.type("\x03");
      assert.equal((await term.status).code, 0);
    } finally {
      await tracker.stop();
    }
  },
});

Deno.test({
  name: "client terminal with --json: no prompt, no bars, one JSON object per command",
  ignore: !havePty(),
  fn: async () => {
    await using dir = await tempDir();
    await using tracker = await spawnProgram("tracker", [
      "--data-dir",
      join(dir.path, "t"),
      "--port",
      "0",
    ]);
    await using term = startInPty("client", [
      "--json",
      "--tracker",
      tracker.addr,
      "--data-dir",
      join(dir.path, "c"),
    ], { columns: 80 });
    await term.waitFor(/client ready/);
    await term.type("whoami\rwait\rshow_downloads\r");
    await term.waitFor(/"cmd":"show_downloads"/);
    assert.doesNotMatch(term.output, /p2p> |\[#/);
    const results = visibleLines(term.output).filter((l) => l.startsWith("{"));
    assert.deepEqual(results.map((l) => JSON.parse(l).cmd), ["whoami", "wait", "show_downloads"]);
  },
});
