/**
 * The command-line parsing of every program: each program lists its flags
 * once, as {@link FlagSpec}s, and this module reads them (a flag over its
 * environment variable), checks their values, and renders the `--help` lines
 * and the README configuration rows from the same list. A bad flag or value
 * is a {@link UsageError}, which each `main.ts` prints and turns into exit
 * status 2.
 */
import { parseArgs } from "node:util";
import { parseHostPort } from "./conn_io.ts";

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** One flag of a program. */
export interface FlagSpec {
  /** The flag without its dashes, e.g. `data-dir`. */
  name: string;
  /** A string, a repeatable string (its variable comma-separated), or a switch. @default "string" */
  kind?: "string" | "list" | "boolean";
  /** What it takes, shown in help, e.g. `HOST`. */
  arg?: string;
  /** A one-letter alias. */
  short?: string;
  /** The environment variable that sets it when the flag is absent. */
  env?: string;
  /** What it does, for `--help`. */
  help: string;
  /** The default as people read it, written from the config's constants; none when absent. */
  shownDefault?: string;
}

/** A bad flag or value; `main.ts` prints it and exits with status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Environment variables, as `Deno.env.toObject()` gives them. */
export type Env = Record<string, string | undefined>;

/** The flags of one command line, read over their environment variables. */
export class FlagValues {
  #values: Record<string, string | string[] | boolean | undefined>;
  #env: Env;
  #specs: Map<string, FlagSpec>;
  /** The arguments that are not flags, in order (only where a program takes them). */
  readonly positionals: readonly string[];

  /** @internal built by {@link parseFlags} */
  constructor(
    values: Record<string, string | string[] | boolean | undefined>,
    env: Env,
    specs: readonly FlagSpec[],
    positionals: readonly string[] = [],
  ) {
    this.positionals = positionals;
    this.#values = values;
    this.#env = env;
    this.#specs = new Map(specs.map((s) => [s.name, s]));
  }

  /** @returns the flag's text, else its variable's (an empty variable counts as unset) */
  string(name: string): string | undefined {
    const value = this.#values[name];
    if (typeof value === "string") return value;
    const text = this.#envText(name);
    return text === "" ? undefined : text;
  }

  /** @returns the repeated flag's values, else its variable's comma-separated items */
  list(name: string): string[] {
    const value = this.#values[name];
    if (Array.isArray(value)) return value;
    const text = this.#envText(name) ?? "";
    return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  }

  /** @returns whether the switch is on; its variable turns it on with `1`, `true` or `yes` */
  bool(name: string): boolean {
    const value = this.#values[name];
    if (typeof value === "boolean") return value;
    return /^(1|true|yes)$/i.test(this.#envText(name) ?? "");
  }

  /**
   * @returns the whole number given, or undefined when neither flag nor variable is set
   * @throws {UsageError} when it is not an integer from `min` to `max`
   */
  int(name: string, min: number, max: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
      throw new UsageError(`--${name}: "${text}" must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  /**
   * @returns the port given, or undefined when neither flag nor variable is set
   * @throws {UsageError} `--port: "abc" is not a port number (0-65535)`
   */
  port(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value > 65535) {
      throw new UsageError(`--${name}: "${text}" is not a port number (0-65535)`);
    }
    return value;
  }

  /**
   * @returns the addresses given (repeated flag or list variable)
   * @throws {UsageError} naming the first that is not host:port
   */
  addrs(name: string): string[] {
    return this.list(name).map((text) => checkAddr(name, text));
  }

  /**
   * @returns the address given, or undefined
   * @throws {UsageError} when it is not host:port
   */
  addr(name: string): string | undefined {
    const text = this.string(name);
    return text === undefined ? undefined : checkAddr(name, text);
  }

  /** @returns whether the flag itself was on the command line (not its variable) */
  given(name: string): boolean {
    return this.#values[name] !== undefined;
  }

  /**
   * @returns the duration given (`30d`, `12h`, `90m`, `45s`, `500ms`) in milliseconds, or undefined
   * @throws {UsageError} when it is not a positive duration up to `maxMs`
   */
  duration(name: string, maxMs: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
    const ms = match === null ? NaN : Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
    if (!Number.isSafeInteger(ms) || ms <= 0 || ms > maxMs) {
      throw new UsageError(
        `--${name}: "${text}" must be a positive duration like 30d, 12h, 90m or 45s`,
      );
    }
    return ms;
  }

  /** @returns whether the flag itself or its variable was given */
  has(name: string): boolean {
    return this.#values[name] !== undefined || (this.#envText(name) ?? "") !== "";
  }

  #envText(name: string): string | undefined {
    const variable = this.#specs.get(name)?.env;
    return variable === undefined ? undefined : this.#env[variable];
  }
}

/**
 * Checks an address flag's value.
 * @returns the text, unchanged
 * @throws {UsageError} when it is not host:port
 */
export function checkAddr(name: string, text: string): string {
  try {
    parseHostPort(text);
  } catch {
    throw new UsageError(`--${name}: "${text}" is not an address host:port`);
  }
  return text;
}

/**
 * Reads a command line against a program's flags.
 * @param args the arguments after the program name
 * @param env the environment, for the flags' variables
 * @returns the values, read flag first, variable second
 * @throws {UsageError} for an unknown flag, a missing value or a stray argument
 */
export function parseFlags(
  args: string[],
  env: Env,
  specs: readonly FlagSpec[],
  options: { maxPositionals?: number } = {},
): FlagValues {
  const maxPositionals = options.maxPositionals ?? 0;
  const parseOptions = Object.fromEntries(specs.map((spec) => [spec.name, {
    type: spec.kind === "boolean" ? "boolean" as const : "string" as const,
    ...(spec.kind === "list" ? { multiple: true } : {}),
    ...(spec.short === undefined ? {} : { short: spec.short }),
  }]));
  let parsed;
  try {
    parsed = parseArgs({ args, options: parseOptions, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(plainParseError((error as Error).message, args));
  }
  const { values, positionals } = parsed;
  if (positionals.length > maxPositionals) {
    const stray = positionals[maxPositionals]!;
    throw new UsageError(`unexpected argument "${stray}"; flags start with --`);
  }
  return new FlagValues(
    values as Record<string, string | string[] | boolean>,
    env,
    specs,
    positionals,
  );
}

/** Node's parser speaks of "options" and "ambiguous arguments"; say it the programs' way. */
function plainParseError(message: string, args: string[]): string {
  const flag = /'(?:-\w, )?(--?[\w-]+)/.exec(message)?.[1] ?? "";
  if (/^Unknown option/.test(message)) return `${flag}: unknown flag`;
  if (/argument is ambiguous/.test(message)) {
    const value = args[args.indexOf(flag) + 1] ?? "";
    return `${flag}: "${value}" looks like a flag; to pass it as the value write ${flag}=${value}`;
  }
  if (/argument missing/.test(message)) return `${flag}: needs a value`;
  if (/does not take an argument/.test(message)) return `${flag}: takes no value`;
  return message.split("\n")[0]!;
}

const HELP_COLUMN = 27;
const HELP_WIDTH = 100;

/**
 * The `--help` lines of a program's flags: the flag, what it does, its
 * default and its variable, wrapped under the description column.
 * @returns the lines, joined
 */
export function flagHelp(specs: readonly FlagSpec[]): string {
  return specs.map((spec) => {
    const flag = `  ${spec.short === undefined ? "" : `-${spec.short}, `}--${spec.name}` +
      (spec.arg === undefined ? "" : ` ${spec.arg}`);
    const words = [
      spec.help,
      spec.shownDefault === undefined ? "" : `(default ${spec.shownDefault})`,
      spec.env === undefined
        ? ""
        : `[${spec.env}${spec.kind === "list" ? ", comma-separated" : ""}]`,
    ].join(" ").split(/\s+/).filter((w) => w !== "");
    const lines = [flag.length < HELP_COLUMN - 1 ? flag.padEnd(HELP_COLUMN) : `${flag} `];
    for (const word of words) {
      const last = lines[lines.length - 1]!;
      const fresh = last.trim() === "" || last.length === HELP_COLUMN || last.endsWith(" ");
      if (!fresh && last.length + 1 + word.length > HELP_WIDTH) {
        lines.push(" ".repeat(HELP_COLUMN) + word);
      } else {
        lines[lines.length - 1] = fresh ? last + word : `${last} ${word}`;
      }
    }
    return lines.join("\n");
  }).join("\n");
}
