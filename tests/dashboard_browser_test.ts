/**
 * The balancer's dashboard in a real browser: headless Chromium opens the
 * page of a balancer with three registered trackers and two logged-in
 * clients, sees all three trackers live, and, after the first client's
 * tracker is killed with SIGKILL, sees it turn "out" in the same page load
 * (no reload), with the event stream alone carrying the change, and the
 * client's failover on the timeline. It then takes a screenshot; with
 * DASHBOARD_SCREENSHOT=docs/dashboard.png it refreshes the one the README shows.
 *
 * Needs Debian's `chromium` (`apt-get install -y chromium`, which `.ci/run`
 * does); without it the test is skipped and says so loudly.
 */
import assert from "node:assert/strict";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { spawnProgram } from "./harness.ts";
import { SECRET, startPeer } from "./cluster_helpers.ts";
import { FAST_HEARTBEAT, startClientProc } from "./client_helpers.ts";

const CHROMIUM = Deno.env.get("DASHBOARD_BROWSER") ?? "/usr/bin/chromium";
/** Where the screenshot goes: the README's copy only when asked (DASHBOARD_SCREENSHOT=docs/dashboard.png), so a test run leaves the tree as it was. */
const SCREENSHOT_TO = Deno.env.get("DASHBOARD_SCREENSHOT");
const BROWSER_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--window-size=1100,900",
];

function hasBrowser(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

const browserMissing = !hasBrowser();
if (browserMissing) {
  // deno-lint-ignore no-console
  console.error(
    `\n!!! BROWSER TEST SKIPPED: no Chromium at ${CHROMIUM}.\n` +
      "!!! Install it with `apt-get install -y chromium` (as .ci/run does), or point\n" +
      "!!! DASHBOARD_BROWSER at a Chromium executable, to run tests/dashboard_browser_test.ts.\n",
  );
}

/** Runs in the page (a string: this file is type-checked without the DOM's types). */
const READ_TRACKER_STATES = `(() => {
  const states = {};
  for (const row of document.querySelectorAll('section[data-title="Trackers"] tr')) {
    const cells = row.querySelectorAll("td");
    if (cells.length > 1) states[cells[0].textContent] = cells[1].textContent;
  }
  return states;
})()`;

/** Reads the page's tracker table as address to state badge text. */
function trackerStates(page: Page): Promise<Record<string, string>> {
  return page.evaluate(READ_TRACKER_STATES) as Promise<Record<string, string>>;
}

async function waitForStates(
  page: Page,
  test: (states: Record<string, string>) => boolean,
  what: string,
): Promise<Record<string, string>> {
  const deadline = Date.now() + 20_000;
  let states: Record<string, string> = {};
  while (Date.now() < deadline) {
    states = await trackerStates(page);
    if (test(states)) return states;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the page never showed ${what}; it shows ${JSON.stringify(states)}`);
}

Deno.test({
  name: "balancer dashboard in Chromium shows a SIGKILLed tracker turn out without a reload",
  ignore: browserMissing,
  // The browser library keeps its own pipes and timers past browser.close().
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "dash-browser-" });
    const profile = await Deno.makeTempDir({ prefix: "dash-chromium-" });
    let browser: Browser | undefined;
    try {
      await using balancer = await spawnProgram(
        "balancer",
        ["--port", "0", "--http-port", "0", "--ping-interval", "200", "--max-misses", "3"],
        { env: { BALANCER_CLUSTER_SECRET: SECRET } },
      );
      const url = (await balancer.waitForLine(/^balancer dashboard \S+$/)).split(" ")[2]!;
      await using t1 = await startPeer(1, `${dir}/t1`, ["--balancer", balancer.addr]);
      await using t2 = await startPeer(2, `${dir}/t2`, [
        ...["--balancer", balancer.addr, "--peer", t1.addr],
      ]);
      await using t3 = await startPeer(3, `${dir}/t3`, [
        ...["--balancer", balancer.addr, "--peer", t1.addr, "--peer", t2.addr],
      ]);
      const addrs = [t1.addr, t2.addr, t3.addr];
      const clientArgs = ["--port", "0", "--balancer", balancer.addr, ...FAST_HEARTBEAT];
      await using alice = await startClientProc(`${dir}/alice`, clientArgs);
      await using bob = await startClientProc(`${dir}/bob`, clientArgs);
      const trackerOf: string[] = [];
      for (const [client, user] of [[alice, "alice"], [bob, "bob"]] as const) {
        await client.ok(`create_user ${user} pw-${user}`);
        trackerOf.push(String((await client.ok(`login ${user} pw-${user}`))["tracker"]));
      }
      const victimAddr = trackerOf[0]!;
      const victim = [t1, t2, t3].find((t) => t.addr === victimAddr);
      assert.ok(victim !== undefined, `alice's tracker ${victimAddr} is one of the three`);

      browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: BROWSER_ARGS,
        userDataDir: profile,
        defaultViewport: { width: 1100, height: 900 },
      });
      const page = await browser.newPage();
      const external: string[] = [];
      page.on("request", (request) => {
        if (!request.url().startsWith(url)) external.push(request.url());
      });
      await page.goto(url, { waitUntil: "domcontentloaded" });
      await waitForStates(
        page,
        (s) => addrs.every((addr) => s[addr] === "live"),
        "three live trackers",
      );
      // A mark on this page load: a reload would lose it.
      await page.evaluate(() => Object.assign(globalThis, { sameLoad: true }));

      victim.kill("SIGKILL");
      await victim.status;
      const states = await waitForStates(page, (s) => s[victimAddr] === "out", `${victimAddr} out`);
      for (const addr of addrs.filter((a) => a !== victimAddr)) assert.equal(states[addr], "live");
      assert.equal(await page.evaluate(() => "sameLoad" in globalThis), true, "no reload");
      assert.deepEqual(external, [], "the page fetched nothing from elsewhere");
      // Let the survivors report their links to the dead one, for a screenshot that shows them.
      await page.waitForFunction(
        `[...document.querySelectorAll('section[data-title="Replication links"] tr')]
          .filter((row) => row.textContent.includes(${JSON.stringify(victimAddr)}))
          .every((row) => !row.textContent.includes("connected"))`,
        { timeout: 10_000 },
      ).catch(() => {});
      // Alice's client moves on: it reports the dead tracker and is handed another.
      await alice.ok("list_groups");
      await page.waitForFunction(
        `document.querySelector('section[data-title="Timeline"]').textContent.includes("failover")`,
        { timeout: 10_000 },
      );
      const shot = SCREENSHOT_TO ?? `${dir}/dashboard.png`;
      await page.screenshot({ path: shot, fullPage: true });
      const png = await Deno.readFile(shot);
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
    } finally {
      await browser?.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
