import assert from "node:assert/strict";
import { liveProgressLines, renderError, renderOk, table } from "./output.ts";
import type { DownloadView } from "../local/download_manager.ts";

const JSON_MODE = { json: true, tty: false };
const HUMAN = { json: false, tty: false };

Deno.test("renderOk() prints one JSON object per result in --json mode", () => {
  const line = renderOk("login", { user: "alice" }, JSON_MODE);
  assert.deepEqual(JSON.parse(line), { ok: true, cmd: "login", data: { user: "alice" } });
  assert.ok(!line.includes("\n"));
});

Deno.test("renderError() prints the code and message", () => {
  assert.deepEqual(
    JSON.parse(renderError(null, "BAD_REQUEST", 'Unterminated " quote', JSON_MODE)),
    {
      ok: false,
      cmd: null,
      error: { code: "BAD_REQUEST", message: 'Unterminated " quote' },
    },
  );
  assert.equal(
    renderError("login", "BAD_CREDENTIALS", "Wrong password", HUMAN),
    "error: Wrong password",
  );
});

Deno.test("table() aligns columns under the header", () => {
  assert.equal(
    table(["NAME", "SIZE"], [["a long name", "1 B"], ["b", "10 KiB"]]),
    "NAME         SIZE\na long name  1 B\nb            10 KiB",
  );
});

Deno.test("renderOk() shows groups and files as tables for people", () => {
  const groups = renderOk("list_groups", {
    groups: [{ group: "g1", owner: "alice", members: 2, role: "member" }],
  }, HUMAN);
  assert.equal(groups, "GROUP  OWNER  MEMBERS  YOU\ng1     alice  2        member");
  const files = renderOk("list_files", {
    group: "g1",
    files: [{ name: "my file", size: 2048, fileHash: "ab".repeat(32), seeders: 3, partials: 1 }],
  }, HUMAN);
  assert.match(files, /^NAME +SIZE +SEEDERS +PARTIAL +SHA-256\nmy file +2\.0 KiB +3 +1 +abababab/);
  assert.equal(
    renderOk("list_files", { group: "g1", files: [] }, HUMAN),
    'No files shared in "g1"',
  );
});

Deno.test("renderOk() shows a progress bar for running downloads in a terminal only", () => {
  const download = {
    id: 1,
    group: "g",
    name: "x.bin",
    dest: "/d/x.bin",
    state: "running",
    error: null,
    size: 1024 * 1024,
    bytesDone: 512 * 1024,
    piecesDone: 1,
    pieces: 2,
    percent: 50,
    rateBytesPerSec: 256 * 1024,
    peers: [{ addr: "127.0.0.1:5000", state: "active", bytes: 524288 }],
    activePeers: 1,
    elapsedMs: 2000,
    averageBytesPerSec: null,
  };
  const plain = renderOk("show_downloads", { downloads: [download] }, HUMAN);
  assert.match(plain, /^1 +g\/x\.bin +\/d\/x\.bin +running +50% +256 KiB\/s +1 +2s$/m);
  assert.ok(!plain.includes("["));
  const tty = renderOk("show_downloads", { downloads: [download] }, { json: false, tty: true });
  assert.match(tty, /1 x\.bin {2}\[#+\.+\] {3}50% {2}512 KiB\/1\.0 MiB {2}256 KiB\/s {2}ETA 2s/);
  const failed = renderOk("wait", {
    downloads: [{ ...download, state: "failed", error: "no peer answered" }],
  }, HUMAN);
  assert.equal(failed, "1 g/x.bin: failed: no peer answered; retry with: retry_download 1");
});

Deno.test("liveProgressLines() draws a bar for each running download only", () => {
  const base: DownloadView = {
    id: 1,
    group: "g",
    name: "movie.mkv",
    dest: "/tmp/movie.mkv",
    state: "running",
    error: null,
    size: 4 * 1024 * 1024,
    bytesDone: 1024 * 1024,
    piecesDone: 2,
    pieces: 8,
    percent: 25,
    piecesResumed: 0,
    rateBytesPerSec: 1024 * 1024,
    waiting: false,
    peers: [],
    activePeers: 0,
    elapsedMs: 1000,
    averageBytesPerSec: null,
  };
  const lines = liveProgressLines([
    base,
    { ...base, id: 2, name: "done.iso", state: "complete", bytesDone: base.size, percent: 100 },
  ]);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^1 movie\.mkv {2}\[#+\.+\] +25% .*1\.0 MiB\/4\.0 MiB .*ETA 3s$/);
  assert.deepEqual(liveProgressLines([]), []);
});

Deno.test("renderOk() explains one command for help <command>", () => {
  const text = renderOk("help", {
    commands: [{ usage: "retry_download <id>", summary: "Start it again", login: true }],
  }, HUMAN);
  assert.equal(text, "usage: retry_download <id>\n  Start it again (needs a login)");
});
