/**
 * A strict reader of the Prometheus text format for tests: it checks the
 * rules a scraper relies on and returns the samples, or throws naming the
 * line that breaks one.
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== "") {
    const match = LABEL.exec(rest);
    if (match === null) throw new Error(`bad labels in: ${line}`);
    const [whole, name = "", raw = ""] = match;
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = raw.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
  return value;
}

/**
 * Parses a scrape body, checking: it ends in a newline; each family has one
 * HELP and one TYPE line before its samples; samples belong to the family
 * declared above them; a histogram's buckets are cumulative, end in `+Inf`,
 * and equal its `_count`.
 * @returns every sample
 * @throws {Error} naming the first rule broken
 */
export function parsePromText(body: string): Sample[] {
  if (!body.endsWith("\n")) throw new Error("the body does not end in a newline");
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helped = new Set<string>();
  let current: string | undefined;
  for (const line of body.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      const [, what, name = "", rest = ""] = meta;
      if (what === "HELP") {
        if (helped.has(name)) throw new Error(`second HELP for ${name}`);
        helped.add(name);
      } else {
        if (types.has(name)) throw new Error(`second TYPE for ${name}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) {
          throw new Error(`bad type in: ${line}`);
        }
        types.set(name, rest);
      }
      current = name;
      continue;
    }
    if (line.startsWith("#") || line === "") throw new Error(`stray line: ${JSON.stringify(line)}`);
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`bad sample line: ${line}`);
    const [, name = "", , labelText = "", valueText = ""] = match;
    const family = types.get(name) === "histogram" ? undefined : name;
    const base = family ?? name;
    const owner = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    if (owner !== current || !types.has(owner)) {
      throw new Error(`sample ${base} outside its family's block`);
    }
    samples.push({
      name,
      labels: parseLabels(labelText, line),
      value: parseValue(valueText, line),
    });
  }
  checkHistograms(samples, types);
  return samples;
}

function checkHistograms(samples: Sample[], types: Map<string, string>): void {
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const groups = new Map<string, Sample[]>();
    for (const sample of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = sample.labels;
      const key = JSON.stringify(rest);
      groups.set(key, [...(groups.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of groups) {
      let last = -Infinity;
      let lastCount = 0;
      for (const bucket of buckets) {
        const le = parseValue(bucket.labels["le"] ?? "", family);
        if (le <= last || bucket.value < lastCount) {
          throw new Error(`${family}${key}: buckets not cumulative`);
        }
        last = le;
        lastCount = bucket.value;
      }
      if (last !== Infinity) throw new Error(`${family}${key}: no +Inf bucket`);
      const count = samples.find((s) =>
        s.name === `${family}_count` && JSON.stringify(s.labels) === key
      );
      if (count?.value !== lastCount) throw new Error(`${family}${key}: _count is not +Inf`);
    }
  }
}
