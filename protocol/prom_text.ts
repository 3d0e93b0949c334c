/**
 * Metrics in the Prometheus text exposition format (version 0.0.4), written
 * by hand rather than with a library: the format is a few rules (a HELP and
 * TYPE line per family, escaped label values, cumulative histogram buckets
 * ending in `+Inf`), and every program here compiles to one executable.
 * Counters, gauges and histograms keyed by label values; a family caps its
 * label sets so a stream of distinct values cannot grow it without bound.
 */

/** Label names to values. */
export type Labels = Readonly<Record<string, string>>;

/** Most label sets one family keeps; later new sets are folded into `other`. */
export const MAX_SERIES_PER_FAMILY = 256;

/** Default histogram buckets, in seconds: 1 ms to 10 s. */
export const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type Kind = "counter" | "gauge" | "histogram";

interface Family {
  name: string;
  help: string;
  kind: Kind;
  buckets: number[];
  series: Map<string, { labels: Labels; value: number; counts: number[]; sum: number }>;
}

/**
 * Escapes a label value: backslash, double quote and newline.
 * @returns the escaped text
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Formats a sample value the way the format reads numbers. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra !== undefined) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** A program's metrics, rendered on each scrape. */
export class MetricsRegistry {
  #families = new Map<string, Family>();

  /**
   * Declares a family; declaring it again with the same kind is harmless.
   * @throws {TypeError} on a bad name or a kind clash
   */
  declare(name: string, kind: Kind, help: string, buckets: number[] = SECONDS_BUCKETS): void {
    if (!NAME.test(name)) throw new TypeError(`Bad metric name "${name}"`);
    const known = this.#families.get(name);
    if (known !== undefined) {
      if (known.kind !== kind) throw new TypeError(`Metric ${name} is a ${known.kind}`);
      return;
    }
    this.#families.set(name, { name, help, kind, buckets: [...buckets], series: new Map() });
  }

  /** Adds to a counter (by 1 unless told). */
  inc(name: string, labels: Labels = {}, by = 1): void {
    const series = this.#series(name, labels, "counter");
    if (by > 0) series.value += by;
  }

  /** Sets a gauge. */
  set(name: string, labels: Labels, value: number): void {
    this.#series(name, labels, "gauge").value = value;
  }

  /** Drops every series of a gauge, before setting the ones that exist now. */
  reset(name: string): void {
    this.#families.get(name)?.series.clear();
  }

  /** Records one observation in a histogram. */
  observe(name: string, labels: Labels, value: number): void {
    const family = this.#family(name, "histogram");
    const series = this.#series(name, labels, "histogram");
    family.buckets.forEach((bound, i) => {
      if (value <= bound) series.counts[i]! += 1;
    });
    series.value += 1;
    series.sum += value;
  }

  /**
   * Renders every family in the text format.
   * @returns the scrape body, ending in a newline
   */
  render(): string {
    const lines: string[] = [];
    for (const family of this.#families.values()) {
      lines.push(
        `# HELP ${family.name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`,
      );
      lines.push(`# TYPE ${family.name} ${family.kind}`);
      for (const { labels, value, counts, sum } of family.series.values()) {
        if (family.kind !== "histogram") {
          lines.push(`${family.name}${labelText(labels)} ${formatValue(value)}`);
          continue;
        }
        family.buckets.forEach((bound, i) => {
          const le = labelText(labels, ["le", formatValue(bound)]);
          lines.push(`${family.name}_bucket${le} ${counts[i]}`);
        });
        lines.push(`${family.name}_bucket${labelText(labels, ["le", "+Inf"])} ${value}`);
        lines.push(`${family.name}_sum${labelText(labels)} ${formatValue(sum)}`);
        lines.push(`${family.name}_count${labelText(labels)} ${value}`);
      }
    }
    return lines.join("\n") + "\n";
  }

  #family(name: string, kind: Kind): Family {
    const family = this.#families.get(name);
    if (family === undefined || family.kind !== kind) {
      throw new TypeError(`Metric ${name} is not a declared ${kind}`);
    }
    return family;
  }

  #series(name: string, labels: Labels, kind: Kind) {
    const family = this.#family(name, kind);
    for (const key of Object.keys(labels)) {
      if (!LABEL_NAME.test(key) || key === "le") throw new TypeError(`Bad label name "${key}"`);
    }
    let key = JSON.stringify(labels);
    if (!family.series.has(key) && family.series.size >= MAX_SERIES_PER_FAMILY) {
      labels = Object.fromEntries(Object.keys(labels).map((k) => [k, "other"]));
      key = JSON.stringify(labels);
    }
    let series = family.series.get(key);
    if (series === undefined) {
      series = { labels, value: 0, counts: family.buckets.map(() => 0), sum: 0 };
      family.series.set(key, series);
    }
    return series;
  }
}

/**
 * The `cmd` label of a request: its command name when it looks like one and
 * was not refused as unknown, else `unknown`, so a peer cannot write text of
 * its choosing into the metrics.
 * @returns the label value
 */
export function commandLabel(cmd: unknown, errorCode?: string): string {
  if (errorCode === "UNKNOWN_COMMAND") return "unknown";
  return typeof cmd === "string" && /^[a-z][a-z_]{0,31}$/.test(cmd) ? cmd : "unknown";
}
