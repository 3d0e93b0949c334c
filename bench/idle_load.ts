// deno-lint-ignore-file no-console -- a load-generator process: it prints its figures.
/**
 * One load-generator process of the idle-clients benchmark: holds `clients`
 * connections to a tracker, each sending `ping` once a second (at its own
 * offset within the second) from the moment it connects; once all are
 * connected, it says so (one JSON line) and waits for a line on stdin, so that
 * every generator measures the same `seconds`. Then prints one JSON line: ping
 * latencies, how many of its connections were still open when the window
 * began, how late its own timers fired (if they are late, the generator
 * is the bottleneck, not the tracker) and its own CPU time.
 *
 * Usage: deno run --allow-net bench/idle_load.ts HOST:PORT CLIENTS SECONDS
 */
import process from "node:process";

const CONNECT_BATCH = 100;
/** Longest wait for a batch's first replies before connecting the next one. */
const BATCH_ANSWER_MS = 30_000;
const PING_INTERVAL_MS = 1000;
/** How often the connect phase checks its own timer delay. */
const LAG_CHECK_MS = 100;

interface Client {
  conn: Deno.TcpConn;
  sentAt: Map<number, number>;
  /** Replies read so far. */
  replies: number;
  /** Whether the tracker closed it. */
  closed: boolean;
}

const encoder = new TextEncoder();

async function open(hostname: string, port: number): Promise<Client> {
  const conn = await Deno.connect({ hostname, port });
  return { conn, sentAt: new Map(), replies: 0, closed: false };
}

async function readReplies(client: Client, latencies: number[]): Promise<void> {
  const buffer = new Uint8Array(4096);
  const decoder = new TextDecoder();
  let pending = "";
  try {
    while (true) {
      const n = await client.conn.read(buffer);
      if (n === null) break;
      pending += decoder.decode(buffer.subarray(0, n), { stream: true });
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const match = /"id":(\d+)/.exec(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
        const id = match === null ? -1 : Number(match[1]);
        client.replies++;
        const sent = client.sentAt.get(id);
        if (sent === undefined) continue;
        client.sentAt.delete(id);
        if (sent >= 0) latencies.push(performance.now() - sent); // -1: before the window
      }
    }
  } catch {
    // closed at the end, or by the tracker
  }
  client.closed = true;
}

async function main([addr, clientsText, secondsText]: string[]): Promise<void> {
  const [hostname, portText] = (addr ?? "").split(":");
  const clients = Number(clientsText);
  const seconds = Number(secondsText);
  const all: Client[] = [];
  const readers: Promise<void>[] = [];
  const latencies: number[] = [];
  const lags: number[] = [];
  const stops: (() => void)[] = [];
  // Pings sent in the measured window (after every client connected): only those count.
  const window = { from: Infinity, to: Infinity, sent: 0 };
  let nextId = 1;
  // A client pings from the moment it is connected, as a real one logs in at once: a
  // connection silent while the others connect would be closed by the tracker as idle.
  const startPinging = (client: Client) => {
    let due = performance.now(); // the first at once, as a login would be
    let firstId = -1;
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      const now = performance.now();
      if (now >= window.to) return;
      const counted = now >= window.from;
      if (counted) lags.push(now - due);
      const id = nextId++;
      if (firstId < 0) firstId = id;
      client.sentAt.set(id, counted ? now : -1);
      if (counted) window.sent++;
      client.conn.write(encoder.encode(`{"id":${id},"cmd":"ping"}\n`)).catch(() => {});
      // After the first, each client keeps its own random offset within the second.
      due += id === firstId ? Math.random() * PING_INTERVAL_MS : PING_INTERVAL_MS;
      timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    timer = setTimeout(tick, 0);
    stops.push(() => clearTimeout(timer));
  };
  // How late a timer fires while the clients connect: a stall here silences every client
  // already connected, and the tracker rightly closes them.
  let connectLagMaxMs = 0;
  let lastCheck = performance.now();
  const lagCheck = setInterval(() => {
    const now = performance.now();
    connectLagMaxMs = Math.max(connectLagMaxMs, now - lastCheck - LAG_CHECK_MS);
    lastCheck = now;
  }, LAG_CHECK_MS);
  let refused = 0;
  for (let i = 0; i < clients; i += CONNECT_BATCH) {
    const batch = Math.min(CONNECT_BATCH, clients - i);
    const opened = await Promise.allSettled(
      Array.from({ length: batch }, () => open(hostname!, Number(portText))),
    );
    for (const result of opened) {
      if (result.status === "rejected") {
        refused++;
        continue;
      }
      all.push(result.value);
      readers.push(readReplies(result.value, latencies));
      startPinging(result.value);
    }
    // Next batch once the tracker has answered this one: a storm of connections it has not
    // accepted yet overflows its listen queue, and the kernel then drops their packets for
    // seconds (a reconnection storm is another benchmark than idle clients).
    const batchClients = all.slice(-batch);
    const deadline = performance.now() + BATCH_ANSWER_MS;
    while (batchClients.some((c) => c.replies === 0) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  // Tell the parent, and wait for its go: every generator's clients are connected by then.
  console.log(JSON.stringify({ connected: all.length, refused, connectLagMaxMs }));
  await waitForGo();
  clearInterval(lagCheck);
  const alive = all.filter((c) => !c.closed).length;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  window.from = started;
  window.to = started + seconds * 1000;
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 500));
  for (const stop of stops) stop();
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - started;
  for (const client of all) client.conn.close();
  await Promise.all(readers);
  console.log(JSON.stringify({
    connected: all.length,
    alive,
    beforeWindowLagMaxMs: connectLagMaxMs,
    refused,
    sent: window.sent,
    latencies,
    lags,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
  }));
}

async function waitForGo(): Promise<void> {
  const reader = Deno.stdin.readable.getReader();
  try {
    await reader.read(); // any line, or the end of stdin
  } finally {
    reader.releaseLock();
  }
}

if (import.meta.main) await main(Deno.args);
