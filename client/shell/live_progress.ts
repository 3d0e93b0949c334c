/**
 * The live view `wait` shows in a terminal: the running downloads' progress
 * lines redrawn in place (back to the first line, clear below, draw again),
 * each fitted to the terminal's width as it is now, so a resize takes effect
 * at the next redraw. Notices print above the lines.
 */
import type { DownloadView } from "../local/download_manager.ts";
import { liveProgressLines } from "./downloads_view.ts";
import type { RunLine } from "./complete_line.ts";

const LIVE_REDRAW_MS = 250;
const encoder = new TextEncoder();

/** The live progress view shown while `wait` blocks. */
export interface LiveProgress {
  /** Prints a notice above the lines (they are erased and drawn again below it). */
  notice(line: string): void;
  /** Erases the lines and stops redrawing. */
  stop(): void;
}

/** @returns the terminal's width, or 80 when it cannot be told */
export function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/**
 * Starts redrawing the running downloads' progress lines on stdout.
 * @returns the view
 */
export function startLiveProgress(run: RunLine): LiveProgress {
  let drawn = 0;
  let lines: string[] = [];
  let stopped = false;
  const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
  const erase = () => {
    if (drawn > 0) write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    write(lines.map((l) => `${l}\n`).join(""));
    drawn = lines.length;
  };
  const redraw = async () => {
    const snapshot = await run("show_downloads");
    if (stopped || snapshot.kind !== "ok") return;
    const list = (snapshot.data as { downloads: DownloadView[] }).downloads;
    lines = liveProgressLines(list, terminalColumns());
    erase();
    draw();
  };
  const timer = setInterval(redraw, LIVE_REDRAW_MS);
  const onResize = () => void redraw();
  try {
    Deno.addSignalListener("SIGWINCH", onResize);
  } catch {
    // no SIGWINCH here: the next tick picks the new width up
  }
  return {
    notice(line) {
      erase();
      Deno.stderr.writeSync(encoder.encode(`${line}\n`));
      if (!stopped) draw();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      try {
        Deno.removeSignalListener("SIGWINCH", onResize);
      } catch {
        // never added
      }
      erase();
    },
  };
}
