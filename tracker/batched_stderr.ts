/**
 * Event-log lines to stderr, written together once per event-loop turn: a
 * busy tracker logs a line per share, and one write per line cost a tenth of
 * its time under 100 connections of uploads. Lines keep their order; `flush`
 * writes what is left before the program exits.
 */
import { setImmediate } from "node:timers";

/** Past this many characters the lines are written at once, not at the end of the turn. */
const MAX_HELD_CHARS = 64 * 1024;

/** A line writer that batches per turn. */
export interface BatchedLines {
  /** Queues one line. */
  write(line: string): void;
  /** Writes every queued line now. */
  flush(): void;
}

/**
 * Makes a batched writer.
 * @param sink writes a block of text (stderr in the tracker)
 * @returns the writer
 */
export function batchedLines(
  sink: (text: Uint8Array) => void = (bytes) => writeAll(Deno.stderr, bytes),
): BatchedLines {
  const encoder = new TextEncoder();
  let held: string[] = [];
  let chars = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (held.length === 0) return;
    const text = held.join("\n") + "\n";
    [held, chars] = [[], 0];
    try {
      sink(encoder.encode(text));
    } catch {
      // stderr closed: the log has nowhere to go, the tracker goes on
    }
  };
  return {
    write(line) {
      held.push(line);
      chars += line.length + 1;
      if (chars >= MAX_HELD_CHARS) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

function writeAll(target: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += target.writeSync(bytes.subarray(at));
}
