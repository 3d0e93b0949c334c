/**
 * The servers' event log: one line per significant event on stderr, in text
 * (`2026-01-02T03:04:05.678Z info tracker: alice logged in`) or as one JSON
 * object per line, filtered by level. The flags that choose both are listed
 * once here for the tracker and the balancer.
 */
import { type FlagSpec, type FlagValues, UsageError } from "./cli_flags.ts";

/** How much to log, least first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];
/** How each line is written. */
export type LogFormat = "text" | "json";

/** Writes one event. */
export type EventLog = (level: LogLevel, message: string) => void;

/**
 * The log flags of a program.
 * @param envPrefix its variables' prefix, e.g. `TRACKER`
 * @returns `--log-level` and `--log-format`
 */
export function logFlagSpecs(envPrefix: string): FlagSpec[] {
  return [
    {
      name: "log-level",
      arg: "LEVEL",
      env: `${envPrefix}_LOG_LEVEL`,
      help: "error, warn, info or debug",
      shownDefault: "info",
    },
    {
      name: "log-format",
      arg: "FORMAT",
      env: `${envPrefix}_LOG_FORMAT`,
      help: "text, or json for one JSON object per line",
      shownDefault: "text",
    },
  ];
}

/**
 * Reads the log flags.
 * @returns the level and format
 * @throws {UsageError} for a value that is not one of the choices
 */
export function logSettings(flags: FlagValues): { level: LogLevel; format: LogFormat } {
  const level = flags.string("log-level") ?? "info";
  const format = flags.string("log-format") ?? "text";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--log-level: "${level}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  if (format !== "text" && format !== "json") {
    throw new UsageError(`--log-format: "${format}" is not text or json`);
  }
  return { level: level as LogLevel, format };
}

/**
 * Makes a program's event log.
 * @param write where each line goes (stderr in the programs)
 * @param now the clock (tests pass a fixed one)
 * @returns the log function
 */
export function createEventLog(
  program: string,
  settings: { level: LogLevel; format: LogFormat },
  write: (line: string) => void,
  now: () => Date = () => new Date(),
): EventLog {
  const most = LOG_LEVELS.indexOf(settings.level);
  return (level, message) => {
    if (LOG_LEVELS.indexOf(level) > most) return;
    const time = now().toISOString();
    write(
      settings.format === "json"
        ? JSON.stringify({ time, level, program, message })
        : `${time} ${level} ${program}: ${message}`,
    );
  };
}

/**
 * The level of a line a server logs as plain text: internal errors and
 * lost durability are errors, refusals and warnings are warnings.
 * @returns the level
 */
export function levelOf(message: string): LogLevel {
  if (/internal error|cannot write|fatal/i.test(message)) return "error";
  if (/refused|warning|out\b|missed|stopped answering|failed/i.test(message)) return "warn";
  return "info";
}
