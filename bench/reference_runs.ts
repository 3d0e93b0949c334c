/**
 * Reference BitTorrent runs for the transfer benchmark: the same download done
 * by libtorrent (one leecher, aria2c seeders, opentracker, all on loopback)
 * through the reference scripts' `bittorrent_anchor.sh`, so the benchmark can
 * print a ratio measured in the same run instead of absolute figures, which
 * drift a lot on shared machines. The scripts' folder comes from
 * TRANSFER_BENCH_ANCHORS (default: the first `shared/anchors` found beside
 * this checkout or up to two folders above it);
 * the runs are skipped when it, libtorrent or the tools it needs are missing.
 */

const ROOT = new URL("../", import.meta.url);
const TOOLS = ["opentracker", "mktorrent", "aria2c", "curl"];
/** Bound on one reference download, in seconds (the script kills the leecher after it). */
const LEECH_TIMEOUT_S = 300;

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Finds the reference script when it can run without installing anything.
 * @returns its path, or null (with the reason) when the reference runs are unavailable
 */
export async function findLibtorrentAnchor(): Promise<{ script: string } | { missing: string }> {
  const given = Deno.env.get("TRANSFER_BENCH_ANCHORS");
  const dirs = given !== undefined
    ? [given]
    : ["../shared/anchors", "../../shared/anchors", "../../../shared/anchors"].map((d) =>
      new URL(d, ROOT).pathname
    );
  let script: string | undefined;
  for (const dir of dirs) {
    const candidate = `${dir.replace(/\/$/, "")}/bittorrent_anchor.sh`;
    if (await Deno.stat(candidate).then(() => true, () => false)) {
      script = candidate;
      break;
    }
  }
  if (script === undefined) {
    return {
      missing:
        "no shared/anchors/bittorrent_anchor.sh above this checkout (set TRANSFER_BENCH_ANCHORS)",
    };
  }
  for (const tool of TOOLS) {
    if (!(await succeeds("sh", ["-c", `command -v ${tool}`]))) return { missing: tool };
  }
  if (!(await succeeds("/usr/bin/python3", ["-c", "import libtorrent"]))) {
    return { missing: "python3-libtorrent" };
  }
  return { script };
}

/**
 * Downloads `sizeMib` MiB with libtorrent from `seeders` aria2c seeders.
 * @param workDir where the run keeps its files (removed by the script afterwards)
 * @returns MiB/s, or the error when the run failed
 */
export async function runLibtorrent(
  script: string,
  options: { sizeMib: number; seeders: number; workDir: string },
): Promise<{ mibPerSec: number } | { error: string }> {
  const out = await new Deno.Command("bash", {
    args: [script, String(options.sizeMib), String(options.seeders), options.workDir],
    env: {
      LEECH_CLIENT: "libtorrent",
      INSTALL_OPTIONAL: "0",
      LEECH_TIMEOUT_S: String(LEECH_TIMEOUT_S),
      READY_TIMEOUT_S: "120",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rate = /^bittorrent .*mib_per_s=([\d.]+)/m.exec(text)?.[1];
  if (!out.success || rate === undefined) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
    return { error: err.slice(0, 200) };
  }
  return { mibPerSec: Number(rate) };
}
