// deno-lint-ignore-file no-console -- a benchmark process: it prints its ready line.
/**
 * A control server that does nothing: it reads request lines with the
 * tracker's own framing (protocol/rpc_server.ts) and answers each with an
 * empty success. The tracker benchmark runs the same load against it, so
 * that what the runtime, the loopback and the load generator cost by
 * themselves on this machine shows beside what the tracker does with it.
 *
 * Usage: deno run --allow-net bench/null_server.ts  (prints `null ready HOST:PORT`)
 */
import { serveControlConn } from "../protocol/rpc_server.ts";
import { readyLine, untilSignal } from "../protocol/programs.ts";

if (import.meta.main) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { hostname, port } = listener.addr;
  console.log(readyLine("null", `${hostname}:${port}`));
  void (async () => {
    for await (const conn of listener) void serveControlConn(conn, () => ({}));
  })();
  await untilSignal();
  Deno.exit(0);
}
