// deno-lint-ignore-file no-console -- a load-generator process: it prints its figures.
/**
 * One load-generator process of the idle-clients benchmark: holds `clients`
 * connections to a tracker, each sending `ping` once a second (at its own
 * offset within the second), for `seconds`. Prints one JSON line: ping
 * latencies, how late its own timers fired (if they are late, the generator
 * is the bottleneck, not the tracker) and its own CPU time.
 *
 * Usage: deno run --allow-net bench/idle_load.ts HOST:PORT CLIENTS SECONDS
 */
import process from "node:process";

const CONNECT_BATCH = 250;
const PING_INTERVAL_MS = 1000;

interface Client {
  conn: Deno.TcpConn;
  sentAt: Map<number, number>;
}

const encoder = new TextEncoder();

async function open(hostname: string, port: number): Promise<Client> {
  const conn = await Deno.connect({ hostname, port });
  return { conn, sentAt: new Map() };
}

async function readReplies(client: Client, latencies: number[]): Promise<void> {
  const buffer = new Uint8Array(4096);
  const decoder = new TextDecoder();
  let pending = "";
  try {
    while (true) {
      const n = await client.conn.read(buffer);
      if (n === null) return;
      pending += decoder.decode(buffer.subarray(0, n), { stream: true });
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const match = /"id":(\d+)/.exec(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
        const id = match === null ? -1 : Number(match[1]);
        const sent = client.sentAt.get(id);
        if (sent === undefined) continue;
        client.sentAt.delete(id);
        latencies.push(performance.now() - sent);
      }
    }
  } catch {
    // closed at the end, or by the tracker
  }
}

async function main([addr, clientsText, secondsText]: string[]): Promise<void> {
  const [hostname, portText] = (addr ?? "").split(":");
  const clients = Number(clientsText);
  const seconds = Number(secondsText);
  const all: Client[] = [];
  let refused = 0;
  for (let i = 0; i < clients; i += CONNECT_BATCH) {
    const batch = Math.min(CONNECT_BATCH, clients - i);
    const opened = await Promise.allSettled(
      Array.from({ length: batch }, () => open(hostname!, Number(portText))),
    );
    for (const result of opened) {
      if (result.status === "fulfilled") all.push(result.value);
      else refused++;
    }
  }
  const latencies: number[] = [];
  const lags: number[] = [];
  const readers = all.map((client) => readReplies(client, latencies));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const stopAt = started + seconds * 1000;
  let nextId = 1;
  let sent = 0;
  const timers = all.map((client) => {
    let due = started + Math.random() * PING_INTERVAL_MS;
    const tick = () => {
      const now = performance.now();
      lags.push(now - due);
      if (now >= stopAt) return;
      const id = nextId++;
      client.sentAt.set(id, now);
      client.conn.write(encoder.encode(`{"id":${id},"cmd":"ping"}\n`)).catch(() => {});
      sent++;
      due += PING_INTERVAL_MS;
      timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    let timer = setTimeout(tick, due - started);
    return () => clearTimeout(timer);
  });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 500));
  for (const stop of timers) stop();
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - started;
  for (const client of all) client.conn.close();
  await Promise.all(readers);
  console.log(JSON.stringify({
    connected: all.length,
    refused,
    sent,
    latencies,
    lags,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
  }));
}

if (import.meta.main) await main(Deno.args);
