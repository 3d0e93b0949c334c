/**
 * `deno task client`: the interactive shell and seeder. Parses flags, starts
 * the client, reads commands (with a prompt and line editing in a terminal,
 * one per line from a pipe), prints each result, and after a piped script
 * ends keeps seeding until `quit`, SIGINT or SIGTERM.
 */
import { readyLine } from "../protocol/programs.ts";
import { startClient } from "./app.ts";
import {
  CLIENT_USAGE,
  parseClientArgs,
  parseTrackerList,
  trackerCandidates,
  UsageError,
} from "./config.ts";
import { readLinesRaw } from "./line_reader.ts";
import { renderError, renderOk, type RenderOptions } from "./output.ts";
import type { ShellResult } from "./shell.ts";

const PROMPT = "p2p> ";

// deno-lint-ignore no-console
const out = (text: string) => console.log(text);
// deno-lint-ignore no-console
const err = (text: string) => console.error(text);

async function readTrackersFile(path: string | undefined): Promise<string[]> {
  if (path === undefined) return [];
  try {
    return parseTrackerList(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`--trackers ${path}: ${error.message}`);
    throw new UsageError(`--trackers ${path}: ${(error as Error).message}`);
  }
}

function show(result: ShellResult, render: RenderOptions): void {
  if (result.kind === "empty") return;
  if (result.kind === "ok") {
    out(renderOk(result.cmd, result.data, render));
    return;
  }
  const text = renderError(result.cmd, result.code, result.message, render);
  if (render.json) out(text);
  else err(text);
}

async function* pipedLines(): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const part of parts) yield part.replace(/\r$/, "");
  }
  if (rest !== "") yield rest;
}

async function main(args: string[]): Promise<number> {
  let parsed;
  let fromFile: string[];
  try {
    parsed = parseClientArgs(args, Deno.env.toObject());
    fromFile = await readTrackersFile(parsed.config.trackersFile);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`client: ${error.message} (see --help)`);
    return 2;
  }
  if (parsed.help) {
    out(CLIENT_USAGE);
    return 0;
  }
  const { config } = parsed;
  const tty = Deno.stdin.isTerminal();
  const render: RenderOptions = { json: config.json, tty: tty && Deno.stdout.isTerminal() };
  const client = await startClient(config, {
    trackers: trackerCandidates(config, fromFile),
    onNotice: err,
    cwd: Deno.cwd(),
  });
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await client.close();
    Deno.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void shutdown(0));
  }
  err(readyLine("client", client.seederAddr));
  const lines = tty && !config.json ? readLinesRaw(PROMPT) : pipedLines();
  for await (const line of lines) {
    const result = await client.run(line);
    show(result, render);
    if (result.kind === "ok" && result.cmd === "quit") await shutdown(0);
  }
  if (tty) await shutdown(0); // Ctrl-D at the prompt
  // A piped script ended: keep seeding until quit, SIGINT or SIGTERM.
  await new Promise(() => {});
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
