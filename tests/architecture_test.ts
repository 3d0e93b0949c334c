/**
 * The import graph of every non-test module, checked against the folder
 * rules in the README's "Architecture" section: no cycle (type-only imports
 * included), and no import that crosses a boundary it may not.
 */
import assert from "node:assert/strict";
import { checkEdge, findCycle, type ImportGraph } from "./architecture_rules.ts";

const ROOT = new URL("../", import.meta.url);
/** Longest program module: past this, a module does more than one job. */
const MAX_MODULE_LINES = 400;

/** Every .ts file under the repo that is a program module, not a test or test helper. */
async function programModules(dir: URL, rel = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = rel + entry.name;
    if (entry.isDirectory) {
      if (entry.name.startsWith(".") || ["tests", "dist", "node_modules"].includes(entry.name)) {
        continue;
      }
      found.push(...await programModules(new URL(entry.name + "/", dir), path + "/"));
    } else if (
      path.endsWith(".ts") && !path.endsWith("_test.ts") && !entry.name.startsWith("_test")
    ) {
      found.push(path);
    }
  }
  return found.sort();
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

/** Builds the graph with `deno info --json` on one root that imports every module. */
async function importGraph(modules: string[]): Promise<ImportGraph> {
  const dir = await Deno.makeTempDir();
  try {
    const root = `${dir}/all.ts`;
    const lines = modules.map((m) => `import type {} from "${new URL(m, ROOT).href}";`);
    await Deno.writeTextFile(root, lines.join("\n") + "\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, root],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const prefix = ROOT.href;
    const graph: ImportGraph = new Map();
    for (const m of info.modules) {
      if (!m.specifier.startsWith(prefix)) continue;
      const from = m.specifier.slice(prefix.length);
      const targets = new Set<string>();
      for (const dep of m.dependencies ?? []) {
        for (const to of [dep.code?.specifier, dep.type?.specifier]) {
          if (to?.startsWith(prefix)) targets.add(to.slice(prefix.length));
        }
      }
      graph.set(from, [...targets].sort());
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const modules = await programModules(ROOT);
const graph = await importGraph(modules);

Deno.test("the import graph covers every program module", () => {
  for (const m of modules) assert.ok(graph.has(m), `${m} missing from the import graph`);
  assert.ok(modules.length > 50, `only ${modules.length} modules found`);
});

Deno.test("no module imports itself through a cycle, type-only imports included", () => {
  const cycle = findCycle(graph);
  assert.equal(cycle, undefined, `import cycle: ${cycle?.join(" -> ")}`);
});

Deno.test("every import respects the folder rules", () => {
  const broken: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const why = checkEdge(from, to);
      if (why !== undefined) broken.push(`${from} -> ${to}: ${why}`);
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("no two modules share a file name, but main.ts, config.ts and mod.ts", () => {
  const byName = new Map<string, string[]>();
  for (const m of modules) {
    const name = m.slice(m.lastIndexOf("/") + 1);
    if (["main.ts", "config.ts", "mod.ts"].includes(name)) continue;
    byName.set(name, [...byName.get(name) ?? [], m]);
  }
  const twins = [...byName.values()].filter((paths) => paths.length > 1);
  assert.deepEqual(twins, []);
});

Deno.test("no program module is over 400 lines, and client/ keeps at most four at its top", async () => {
  const long: string[] = [];
  for (const m of modules) {
    const lines = (await Deno.readTextFile(new URL(m, ROOT))).split("\n").length - 1;
    if (lines > MAX_MODULE_LINES) long.push(`${m}: ${lines} lines`);
  }
  assert.deepEqual(long, []);
  const clientTop = modules.filter((m) => /^client\/[^/]+\.ts$/.test(m));
  assert.ok(clientTop.length <= 4, `client/ top level: ${clientTop.join(", ")}`);
});
