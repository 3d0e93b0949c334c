/**
 * A program for the TLS flood tests: opens COUNT plain TCP connections to
 * ADDR that never send a byte and never close, so whatever the server under
 * test holds for them it must let go of by itself. Prints `silent ready
 * ADDR` once every socket is open, then `closed N` whenever the server has
 * closed more of them. Exits by itself after a few minutes at most.
 *
 * Run: deno run --allow-net tests/silent_sockets.ts ADDR COUNT
 */
import { parseHostPort } from "../protocol/conn_io.ts";

const LIFETIME_MS = 180_000;
const encoder = new TextEncoder();

function say(line: string): void {
  Deno.stdout.writeSync(encoder.encode(`${line}\n`));
}
const REPORT_EVERY_MS = 50;

async function main(addr: string, count: number): Promise<void> {
  const { hostname, port } = parseHostPort(addr);
  const conns: Deno.Conn[] = [];
  let closed = 0;
  for (let i = 0; i < count; i++) {
    const conn = await Deno.connect({ hostname, port });
    conns.push(conn);
    // The server's close shows as the end of the stream (or a reset); the socket stays ours.
    conn.read(new Uint8Array(64)).then((n) => n === null && closed++, () => closed++);
  }
  say(`silent ready ${addr}`);
  let reported = -1;
  const reporter = setInterval(() => {
    if (closed === reported) return;
    reported = closed;
    say(`closed ${closed}`);
  }, REPORT_EVERY_MS);
  await new Promise((resolve) => setTimeout(resolve, LIFETIME_MS));
  clearInterval(reporter);
  Deno.exit(0);
}

if (import.meta.main) await main(Deno.args[0] ?? "", Number(Deno.args[1]));
