import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProgram, tempDir } from "./harness.ts";
import { startClientProc } from "./client_helpers.ts";

const PASSWORD = "pw-Zq83-not-on-disk";

async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const text = new TextDecoder("latin1").decode(await Deno.readFile(join(dir, entry.name)));
    if (text.includes(needle)) found.push(entry.name);
  }
  return found;
}

Deno.test("client resumes its session after a restart and never writes the password to disk", async () => {
  await using dir = await tempDir();
  await using tracker = await spawnProgram("tracker", [
    "--port",
    "0",
    "--data-dir",
    join(dir.path, "tracker"),
  ]);
  const dataDir = join(dir.path, "client");
  {
    await using client = await startClientProc(dataDir, ["--tracker", tracker.addr]);
    await client.ok(`create_user erin ${PASSWORD}`);
    await client.ok(`login erin ${PASSWORD}`);
    await client.ok("create_group vault");
    assert.deepEqual(await client.ok("quit"), {});
    assert.equal((await client.proc.status).code, 0);
  }
  assert.deepEqual(await filesContaining(dataDir, PASSWORD), []);

  await using again = await startClientProc(dataDir, ["--tracker", tracker.addr]);
  const groups = (await again.ok("list_groups")).groups;
  assert.deepEqual(groups.map((g: { group: string; role: string }) => [g.group, g.role]), [
    ["vault", "owner"],
  ]);
});
