/**
 * The dependency rules of the source tree, as pure functions over an import
 * graph (module path -> the paths it imports, relative to the repo root).
 *
 * - protocol/ imports only itself; tracker/ and balancer/ import only
 *   themselves and protocol/.
 * - client/transfer/ imports only itself and protocol/, and the rest of the
 *   project reaches it only through client/transfer/mod.ts.
 * - client/session/ imports neither client/shell/ nor client/local/;
 *   client/local/ does not import client/shell/; only client/app.ts and
 *   client/main.ts wire the client's folders together.
 */

/** Module path -> imported module paths. */
export type ImportGraph = Map<string, string[]>;

const TRANSFER = "client/transfer/";
const TRANSFER_ENTRY = "client/transfer/mod.ts";

/** The folder a module's rules come from, e.g. "client/local/" or "tracker/". */
function area(path: string): string {
  const parts = path.split("/");
  if (parts[0] === "client" && parts.length > 2) return `client/${parts[1]}/`;
  return parts.length > 1 ? `${parts[0]}/` : "";
}

/** What each folder may import besides itself and protocol/. */
const ALLOWED: Record<string, string[]> = {
  "protocol/": [],
  "tracker/": [],
  "balancer/": [],
  "client/transfer/": [],
  "client/session/": [],
  "client/local/": ["client/transfer/", "client/session/"],
  "client/shell/": ["client/local/", "client/session/"],
  "client/web/": ["client/local/", "client/session/", "client/transfer/"],
};

/**
 * Why an import breaks the rules.
 * @returns the reason, or undefined when the import is allowed
 */
export function checkEdge(from: string, to: string): string | undefined {
  const fromArea = area(from);
  const toArea = area(to);
  if (to.startsWith(TRANSFER) && !from.startsWith(TRANSFER) && to !== TRANSFER_ENTRY) {
    return `the transfer folder is reached only through ${TRANSFER_ENTRY}`;
  }
  const allowed = ALLOWED[fromArea];
  if (allowed === undefined) {
    if (fromArea === "client/" && !to.startsWith("client/") && toArea !== "protocol/") {
      return "the client imports only client/ and protocol/";
    }
    return undefined;
  }
  if (toArea === fromArea || toArea === "protocol/") return undefined;
  if (allowed.includes(toArea)) return undefined;
  return `${fromArea} may import only itself, protocol/${
    allowed.length > 0 ? " and " + allowed.join(", ") : ""
  }`;
}

/**
 * One import cycle of the graph, if there is any.
 * @returns the modules of the cycle, the first repeated at the end, or undefined
 */
export function findCycle(graph: ImportGraph): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (seen === undefined) {
        const cycle = visit(next);
        if (cycle !== undefined) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.get(node) === undefined) {
      const cycle = visit(node);
      if (cycle !== undefined) return cycle;
    }
  }
  return undefined;
}
