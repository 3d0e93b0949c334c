import assert from "node:assert/strict";
import type { DownloadView } from "../local/download_manager.ts";
import {
  downloadDetail,
  downloadsTable,
  formatDuration,
  liveProgressLines,
  waitedSummary,
} from "./downloads_view.ts";

const MIB = 1024 * 1024;
const base: DownloadView = {
  id: 7,
  group: "friends",
  name: "a-rather-long-holiday-video-from-last-summer-final-cut.mkv",
  dest: "/home/someone/Downloads/videos/2026/a-rather-long-holiday-video.mkv",
  state: "running",
  error: null,
  size: 40 * MIB,
  bytesDone: 10 * MIB,
  piecesDone: 10,
  pieces: 40,
  percent: 25,
  piecesResumed: 0,
  rateBytesPerSec: 2 * MIB,
  waiting: false,
  peers: [
    { addr: "127.0.0.1:5001", state: "active", bytes: 6 * MIB },
    { addr: "127.0.0.1:5002", state: "unreachable", reason: "unreachable", bytes: 4 * MIB },
  ],
  activePeers: 1,
  elapsedMs: 5000,
  averageBytesPerSec: null,
};
const failedError = "Cannot write /home/someone/Downloads/videos: No space left on device " +
  "(os error 28) while writing piece 11";
const list: DownloadView[] = [
  base,
  { ...base, id: 8, state: "failed", error: failedError, activePeers: 0 },
  {
    ...base,
    id: 9,
    name: "notes.txt",
    dest: "/tmp/notes.txt",
    state: "complete",
    percent: 100,
    bytesDone: base.size,
    elapsedMs: 20_000,
    averageBytesPerSec: 2 * MIB,
  },
];

Deno.test("downloadsTable() fits every line in the terminal's width", () => {
  for (const columns of [80, 100, 140]) {
    const lines = downloadsTable(list, columns).split("\n");
    assert.equal(lines.length, 4);
    for (const line of lines) assert.ok(line.length <= columns, `${columns}: ${line}`);
  }
});

Deno.test("downloadsTable() shows id, destination, peer count, short error, average rate, time", () => {
  const text = downloadsTable(list, 200);
  assert.match(text, /^ID +NAME +DEST +STATE +DONE +RATE +PEERS +TIME$/m);
  assert.match(text, /^7 +friends\/a-rather.*running +25% +2\.0 MiB\/s +1 +5s$/m);
  assert.match(text, /^8 .*failed: Cannot write.*…/m);
  assert.doesNotMatch(text, /piece 11/, "the full error is for show_downloads <id>");
  assert.match(
    text,
    /^9 +friends\/notes\.txt +\/tmp\/notes\.txt +complete +100% +2\.0 MiB\/s avg +- +20s$/m,
  );
  assert.equal(downloadsTable([]), "No downloads");
});

Deno.test("downloadsTable() elides long names in the middle at 80 columns", () => {
  const row = downloadsTable(list, 80).split("\n")[1]!;
  assert.match(row, /^7 +friend.*….*\.mkv /);
});

Deno.test("downloadDetail() shows the whole error and each peer with what it is doing", () => {
  const text = downloadDetail({ ...list[1]!, state: "failed" });
  assert.match(text, /^download 8: friends\//);
  assert.ok(text.includes(`error        ${failedError}`));
  assert.match(text, /peer +127\.0\.0\.1:5001 +active, 6\.0 MiB received/);
  assert.match(text, /peer +127\.0\.0\.1:5002 +unreachable/);
  assert.match(text, /destination +\/home\/someone\/Downloads/);
});

Deno.test("liveProgressLines() fit narrow terminals, the name elided in the middle", () => {
  for (const columns of [40, 60, 80, 140]) {
    const [line] = liveProgressLines(list, columns);
    assert.ok(line!.length < columns, `${columns}: ${line}`);
    assert.match(line!, /\d+%/);
  }
  assert.match(liveProgressLines(list, 80)[0]!, /^7 a-rath.*….*mkv {2}\[/);
  assert.equal(liveProgressLines(list, 80).length, 1, "only running downloads get a line");
});

Deno.test("waitedSummary() gives time and average rate, and how to retry a failure", () => {
  const text = waitedSummary(list.slice(1));
  assert.match(text, /8 friends\/.*failed: .*; retry with: retry_download 8/);
  assert.match(
    text,
    /9 friends\/notes\.txt: complete, 40\.0 MiB at \/tmp\/notes\.txt in 20s \(2\.0 MiB\/s avg\)/,
  );
});

Deno.test("formatDuration() reads naturally", () => {
  assert.equal(formatDuration(850), "850ms");
  assert.equal(formatDuration(12_000), "12s");
  assert.equal(formatDuration(185_000), "3m05s");
  assert.equal(formatDuration(7_440_000), "2h04m");
});
