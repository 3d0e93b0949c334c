/**
 * The README's configuration table says what each program's `config.ts`
 * says: every flag is there, with its environment variable and its default.
 */
import assert from "node:assert/strict";
import type { FlagSpec } from "../protocol/cli_flags.ts";
import { TRACKER_FLAGS } from "../tracker/config.ts";
import { CLIENT_FLAGS } from "../client/config.ts";
import { BALANCER_FLAGS } from "../balancer/config.ts";

const README = new URL("../README.md", import.meta.url);

interface Row {
  program: string;
  flag: string;
  env: string;
  shownDefault: string;
}

async function configRows(): Promise<Row[]> {
  const text = await Deno.readTextFile(README);
  const section = text.split("\n## Configuration\n")[1]?.split("\n## ")[0] ?? "";
  return section.split("\n")
    .filter((line) => /^\| (tracker|client|balancer) /.test(line))
    .map((line) => {
      const cells = line.split("|").slice(1, -1).map((c) => c.trim().replaceAll("`", ""));
      const [program = "", flag = "", env = "", shownDefault = ""] = cells;
      return { program, flag, env, shownDefault };
    });
}

const PROGRAMS: [string, readonly FlagSpec[]][] = [
  ["tracker", TRACKER_FLAGS],
  ["client", CLIENT_FLAGS],
  ["balancer", BALANCER_FLAGS],
];

Deno.test("README configuration table matches every program's flags and defaults", async () => {
  const rows = await configRows();
  for (const [program, specs] of PROGRAMS) {
    const documented = specs.filter((spec) => spec.name !== "help" && spec.name !== "version");
    const mine = rows.filter((row) => row.program === program);
    assert.deepEqual(
      mine.map((row) => row.flag.split(/[ :]/)[0]),
      documented.map((spec) => `--${spec.name}`),
      `${program}: the table's flags, in order`,
    );
    for (const [i, spec] of documented.entries()) {
      const row = mine[i]!;
      assert.equal(
        row.env.split(" ")[0] ?? "",
        spec.env ?? "",
        `${program} --${spec.name}: variable`,
      );
      assert.equal(row.shownDefault, spec.shownDefault ?? "", `${program} --${spec.name}: default`);
    }
  }
});
