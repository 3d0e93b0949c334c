import assert from "node:assert/strict";
import {
  formatBytes,
  formatEta,
  formatRate,
  percentOf,
  renderBar,
  renderProgressLine,
} from "./progress_bar.ts";

Deno.test("formatBytes() picks a binary unit", () => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [1, "1 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [512 * 1024, "512 KiB"],
    [1536 * 1024, "1.5 MiB"],
    [3 * 1024 ** 3, "3.0 GiB"],
  ];
  for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text);
});

Deno.test("formatRate() appends per second", () => {
  assert.equal(formatRate(2048), "2.0 KiB/s");
});

Deno.test("formatEta() shows seconds, minutes and hours, or -- when unknown", () => {
  assert.equal(formatEta(0, 0), "0s");
  assert.equal(formatEta(100, 0), "--");
  assert.equal(formatEta(100, 50), "2s");
  assert.equal(formatEta(65, 1), "1m05s");
  assert.equal(formatEta(3 * 3600 + 60, 1), "3h01m");
});

Deno.test("percentOf() rounds down and treats an empty total as done", () => {
  assert.equal(percentOf(0, 10), 0);
  assert.equal(percentOf(999, 1000), 99);
  assert.equal(percentOf(1000, 1000), 100);
  assert.equal(percentOf(0, 0), 100);
});

Deno.test("renderBar() fills cells in proportion and clamps", () => {
  assert.equal(renderBar(0, 4), "[....]");
  assert.equal(renderBar(0.5, 4), "[##..]");
  assert.equal(renderBar(1, 4), "[####]");
  assert.equal(renderBar(7, 4), "[####]");
  assert.equal(renderBar(Number.NaN, 4), "[....]");
});

Deno.test("renderProgressLine() shows bar, percent, sizes, rate and ETA", () => {
  assert.equal(
    renderProgressLine(
      { bytesDone: 1024 * 1024, size: 2 * 1024 * 1024, rateBytesPerSec: 524288 },
      10,
    ),
    "[#####.....]   50%  1.0 MiB/2.0 MiB  512 KiB/s  ETA 2s",
  );
  assert.match(
    renderProgressLine({ bytesDone: 0, size: 0, rateBytesPerSec: 0 }, 4),
    /^\[####\] {2}100%/,
  );
});
