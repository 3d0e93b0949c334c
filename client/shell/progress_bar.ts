/**
 * Text rendering of download progress: a bar, sizes, rates and an ETA. Pure:
 * every input is a number, every output a string.
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/**
 * Formats a byte count with a binary unit, e.g. `1.5 MiB`.
 * @param bytes a non-negative count
 * @returns the text
 */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/**
 * Formats a transfer rate, e.g. `12.0 MiB/s`.
 * @param bytesPerSec the rate
 * @returns the text
 */
export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/**
 * Formats the time left at the current rate, e.g. `1m05s`; `--` when unknown.
 * @param bytesLeft bytes still to fetch
 * @param bytesPerSec the current rate
 * @returns the text
 */
export function formatEta(bytesLeft: number, bytesPerSec: number): string {
  if (bytesLeft <= 0) return "0s";
  if (!(bytesPerSec > 0)) return "--";
  const seconds = Math.ceil(bytesLeft / bytesPerSec);
  if (seconds >= 360_000) return "--";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/**
 * Percentage done, rounded down so 100% means finished.
 * @param done units done
 * @param total units in all; 0 counts as finished
 * @returns 0-100
 */
export function percentOf(done: number, total: number): number {
  if (total <= 0) return 100;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/**
 * Renders a bar like `[#########...........]`.
 * @param fraction 0-1 (clamped)
 * @param width number of cells inside the brackets
 * @returns the bar
 */
export function renderBar(fraction: number, width: number): string {
  const clamped = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  const filled = Math.floor(clamped * width);
  return `[${"#".repeat(filled)}${".".repeat(Math.max(0, width - filled))}]`;
}

/** What one progress line shows. */
export interface ProgressFigures {
  bytesDone: number;
  size: number;
  rateBytesPerSec: number;
}

/**
 * One progress line: bar, percent, sizes, rate and ETA.
 * @param figures the download's figures
 * @param barWidth cells in the bar
 * @returns e.g. `[#####.....]  50%  1.0 MiB/2.0 MiB  512.0 KiB/s  ETA 2s`
 */
export function renderProgressLine(figures: ProgressFigures, barWidth = 24): string {
  const { bytesDone, size, rateBytesPerSec } = figures;
  const fraction = size === 0 ? 1 : bytesDone / size;
  return [
    renderBar(fraction, barWidth),
    `${String(percentOf(bytesDone, size)).padStart(3)}%`,
    `${formatBytes(bytesDone)}/${formatBytes(size)}`,
    formatRate(rateBytesPerSec),
    `ETA ${formatEta(size - bytesDone, rateBytesPerSec)}`,
  ].join("  ");
}
