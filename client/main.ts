/**
 * `deno task client`: the interactive shell and seeder. Parses flags, starts
 * the client, reads commands (with a prompt and line editing in a terminal,
 * one per line from a pipe), prints each result, and after a piped script
 * ends keeps seeding until `quit`, SIGINT or SIGTERM.
 */
import { readyLine } from "../protocol/programs.ts";
import { dashboardLine } from "../protocol/http_page.ts";
import {
  errorLine,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  explainError,
  runProgram,
  versionText,
} from "../protocol/cli_program.ts";
import { DataDirLockedError, lockDataDir } from "../protocol/data_dir_lock.ts";
import { tlsSettings } from "../protocol/tls_flags.ts";
import { restrictUmask } from "../protocol/private_files.ts";
import { startClient } from "./app.ts";
import { CLIENT_USAGE, parseClientArgs, trackerCandidates, UsageError } from "./config.ts";
import { parseTrackerList } from "../protocol/tracker_list.ts";
import { PromptReader } from "./shell/line_reader.ts";
import { renderError, renderOk, type RenderOptions } from "./shell/output.ts";
import { type LiveProgress, startLiveProgress, terminalColumns } from "./shell/live_progress.ts";
import { completeLine } from "./shell/complete_line.ts";
import type { DownloadView } from "./local/download_manager.ts";
import type { ShellResult } from "./shell/shell.ts";

const PROMPT = "p2p> ";
/** What a `wait` stopped by Ctrl-C yields: nothing more to print. */
const STOPPED_WAITING: ShellResult = { kind: "empty" };

// deno-lint-ignore no-console
const out = (text: string) => console.log(text);
// deno-lint-ignore no-console
const err = (text: string) => console.error(text);

async function readTrackersFile(path: string | undefined): Promise<string[]> {
  if (path === undefined) return [];
  try {
    return parseTrackerList(await Deno.readTextFile(path));
  } catch (error) {
    throw new UsageError(`--trackers: ${explainError(error, `read ${path}`)}`);
  }
}

function show(result: ShellResult, render: RenderOptions): void {
  if (result.kind === "empty") return;
  if (result.kind === "ok") {
    out(
      renderOk(
        result.cmd,
        result.data,
        render.tty ? { ...render, columns: terminalColumns() } : render,
      ),
    );
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

/** Says how many downloads are still running and that they resume at the next start. */
async function runningNotice(client: { run(line: string): Promise<ShellResult> }): Promise<void> {
  const result = await client.run("show_downloads");
  if (result.kind !== "ok") return;
  const running = (result.data as { downloads: DownloadView[] }).downloads
    .filter((d) => d.state === "running").length;
  if (running > 0) {
    err(
      `client: ${running} download${running === 1 ? "" : "s"} stopped; ` +
        `${running === 1 ? "it resumes" : "they resume"} at the next start with this --data-dir`,
    );
  }
}

async function main(args: string[]): Promise<number> {
  let parsed;
  let fromFile: string[];
  try {
    parsed = parseClientArgs(args, Deno.env.toObject());
    if (parsed.help || parsed.version) {
      out(parsed.help ? CLIENT_USAGE : versionText("client"));
      return EXIT_OK;
    }
    fromFile = await readTrackersFile(parsed.config.trackersFile);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(errorLine("client", `${error.message} (see --help)`));
    return EXIT_USAGE;
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
    err(errorLine("client", (error as Error).message));
    return EXIT_USAGE;
  }
  let lock;
  try {
    lock = await lockDataDir(config.dataDir);
  } catch (error) {
    err(errorLine(
      "client",
      error instanceof DataDirLockedError
        ? error.message
        : explainError(error, `use --data-dir ${config.dataDir}`),
    ));
    return EXIT_FAILURE;
  }
  const tty = Deno.stdin.isTerminal();
  // --json writes nothing but JSON to stdout: no prompt, no live bars.
  const render: RenderOptions = {
    json: config.json,
    tty: tty && Deno.stdout.isTerminal() && !config.json,
  };
  let live: LiveProgress | undefined;
  let client: Awaited<ReturnType<typeof startClient>>;
  const prompt = new PromptReader(PROMPT, {
    complete: (buffer, cursor) => completeLine((line) => client.run(line), buffer, cursor),
  });
  try {
    client = await startClient(config, {
      trackers,
      onNotice: (line) => live !== undefined ? live.notice(line) : prompt.notice(line),
      cwd: Deno.cwd(),
    });
  } catch (error) {
    lock.release();
    err(
      errorLine("client", explainError(error, `start the seeder on ${config.host}:${config.port}`)),
    );
    return EXIT_FAILURE;
  }
  // A piped script's status says whether any of its commands failed.
  let failed = false;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await runningNotice(client);
    await client.close();
    lock.release();
    Deno.exit(code);
  };
  const finalStatus = () => !tty && failed ? EXIT_FAILURE : EXIT_OK;
  // Ctrl-C while `wait` blocks stops waiting (downloads go on); otherwise it quits.
  let stopWaiting: (() => void) | undefined;
  let pendingWait: Promise<ShellResult> | undefined;
  Deno.addSignalListener("SIGTERM", () => void shutdown(finalStatus()));
  Deno.addSignalListener("SIGINT", () => {
    if (stopWaiting !== undefined) stopWaiting();
    else void shutdown(finalStatus());
  });
  err(readyLine("client", client.seederAddr));
  if (client.dashboardUrl !== undefined) err(dashboardLine("client", client.dashboardUrl));
  const lines = tty && !config.json ? prompt.lines() : pipedLines();
  for await (const line of lines) {
    const waiting = /^\s*wait\s*$/.test(line);
    if (render.tty && waiting) live = startLiveProgress((l) => client.run(l));
    const interrupted = Promise.withResolvers<ShellResult>();
    if (waiting && tty) {
      stopWaiting = () => {
        live?.stop();
        live = undefined;
        err("Stopped waiting; the downloads go on (see show_downloads; quit stops them)");
        interrupted.resolve(STOPPED_WAITING);
      };
    }
    // An interrupted `wait` goes on in the background; the next `wait` takes its answer.
    const running = waiting ? (pendingWait ??= client.run(line)) : client.run(line);
    const result = await Promise.race([running, interrupted.promise]);
    if (waiting && result !== STOPPED_WAITING) pendingWait = undefined;
    stopWaiting = undefined;
    live?.stop();
    live = undefined;
    show(result, render);
    if (result.kind === "error" || (result.kind === "ok" && anyFailed(result))) failed = true;
    if (result.kind === "ok" && result.cmd === "quit") await shutdown(finalStatus());
  }
  if (tty) await shutdown(finalStatus()); // Ctrl-D at the prompt
  err(
    `client: input ended; still seeding on ${client.seederAddr} until stopped (Ctrl-C or SIGTERM)`,
  );
  await new Promise(() => {});
  return EXIT_OK;
}

/** A `wait` that reports a failed download counts as a failed command. */
function anyFailed(result: { cmd: string; data: unknown }): boolean {
  if (result.cmd !== "wait") return false;
  const downloads = (result.data as { downloads?: DownloadView[] }).downloads ?? [];
  return downloads.some((d) => d.state === "failed");
}

if (import.meta.main) {
  restrictUmask(); // whatever it writes is its owner's only
  Deno.exit(await runProgram("client", () => main(Deno.args)));
}
