/**
 * `deno task client`: the interactive shell and seeder. Parses flags, starts
 * the client, reads commands (with a prompt and line editing in a terminal,
 * one per line from a pipe), prints each result, and after a piped script
 * ends keeps seeding until `quit`, SIGINT or SIGTERM.
 */
import { readyLine } from "../protocol/programs.ts";
import { dashboardLine } from "../protocol/http_page.ts";
import { tlsSettings } from "../protocol/tls_flags.ts";
import { restrictUmask } from "../protocol/private_files.ts";
import { startClient } from "./app.ts";
import { CLIENT_USAGE, parseClientArgs, trackerCandidates, UsageError } from "./config.ts";
import { parseTrackerList } from "../protocol/tracker_list.ts";
import { readLinesRaw } from "./shell/line_reader.ts";
import { liveProgressLines, renderError, renderOk, type RenderOptions } from "./shell/output.ts";
import type { DownloadView } from "./local/download_manager.ts";
import type { ShellResult } from "./shell/shell.ts";

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

const LIVE_REDRAW_MS = 250;
const encoder = new TextEncoder();

/** The live progress view shown while `wait` blocks in a terminal. */
interface LiveProgress {
  /** Prints a notice above the bars (they are erased and drawn again below it). */
  notice(line: string): void;
  /** Erases the bars and stops redrawing. */
  stop(): void;
}

/**
 * While `wait` blocks in a terminal, redraws the running downloads' progress
 * bars in place (ANSI: back to the first bar line, clear below, draw again).
 * @returns the view
 */
function startLiveProgress(client: { run(line: string): Promise<ShellResult> }): LiveProgress {
  let drawn = 0;
  let lines: string[] = [];
  let stopped = false;
  const erase = () => {
    if (drawn > 0) Deno.stdout.writeSync(encoder.encode(`\x1b[${drawn}F\x1b[J`));
    drawn = 0;
  };
  const draw = () => {
    Deno.stdout.writeSync(encoder.encode(lines.map((l) => `${l}\n`).join("")));
    drawn = lines.length;
  };
  const timer = setInterval(async () => {
    const snapshot = await client.run("show_downloads");
    if (stopped || snapshot.kind !== "ok") return;
    lines = liveProgressLines((snapshot.data as { downloads: DownloadView[] }).downloads);
    erase();
    draw();
  }, LIVE_REDRAW_MS);
  return {
    notice(line) {
      erase();
      err(line);
      if (!stopped) draw();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      erase();
    },
  };
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
  const trackers = trackerCandidates(config, fromFile);
  try {
    const tls = await tlsSettings(
      { "tls-ca": config.tlsCaFile, insecure: config.insecure },
      { listenHost: undefined, dials: [...trackers, ...config.balancers] },
    );
    config.tlsCaCerts = tls.caCerts;
    for (const warning of tls.warnings) err(`client: ${warning}`);
  } catch (error) {
    err(`client: ${(error as Error).message}`);
    return 2;
  }
  const tty = Deno.stdin.isTerminal();
  const render: RenderOptions = { json: config.json, tty: tty && Deno.stdout.isTerminal() };
  let live: LiveProgress | undefined;
  const client = await startClient(config, {
    trackers,
    onNotice: (line) => live === undefined ? err(line) : live.notice(line),
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
  if (client.dashboardUrl !== undefined) err(dashboardLine("client", client.dashboardUrl));
  const lines = tty && !config.json ? readLinesRaw(PROMPT) : pipedLines();
  for await (const line of lines) {
    if (render.tty && /^\s*wait\s*$/.test(line)) live = startLiveProgress(client);
    const result = await client.run(line);
    live?.stop();
    live = undefined;
    show(result, render);
    if (result.kind === "ok" && result.cmd === "quit") await shutdown(0);
  }
  if (tty) await shutdown(0); // Ctrl-D at the prompt
  // A piped script ended: keep seeding until quit, SIGINT or SIGTERM.
  await new Promise(() => {});
  return 0;
}

if (import.meta.main) {
  restrictUmask(); // whatever it writes is its owner's only
  Deno.exit(await main(Deno.args));
}
