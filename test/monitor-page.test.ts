// The monitor's page in real Chromium (Debian's chromium, driven by playwright-core), as a person
// uses it: open the page of a running program, read the tree, watch a task move from sleep() to
// Queue.get(), cancel a task with its button, see the "blocked" banner while the loop spins.
// UPDATE_DOCS_SCREENSHOTS=1 also writes the screenshots used by docs/guide/08-debugging.md.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { chromium, CHROMIUM_ARGS, startApp, type App } from "./monitor-helpers.js";
import { after, before, describe, it, NODE_CHILD } from "./helpers.js";

const T = { timeout: 60_000 };
const browser = chromium();
const skip = "skip" in browser ? browser.skip : false;
const docsImages = fileURLToPath(new URL("../docs/images/", import.meta.url));
const updateDocs = process.env.UPDATE_DOCS_SCREENSHOTS === "1";

/**
 * Polls `check` (locators, evaluated through the protocol) until it holds, for up to `seconds`.
 * page.waitForFunction("…") would evaluate its string with eval inside the page, which the page's
 * CSP forbids: it failed whenever the condition was not already true at the first check.
 */
async function until(check: () => Promise<boolean>, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`a page condition did not hold within ${seconds} s`);
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
}

describe("the monitor page in Chromium", { skip: NODE_CHILD.skip || skip }, () => {
  let app: App;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  before(async () => {
    if (!("path" in browser)) return;
    const { chromium: playwright } = await import("playwright-core");
    app = await startApp({ MONITOR_APP_DEBUG: "1" });
    profile = mkdtempSync(join(tmpdir(), "asyncio-ts-chromium-"));
    context = await playwright.launchPersistentContext(profile, {
      executablePath: browser.path,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1400, height: 760 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await context?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    await app?.stop();
  });

  const row = (name: string) => page.locator(`.task[data-name="${name}"]`).first();
  const awaitOf = (name: string) => row(name).locator("> .row .task-await");

  it("the page shows the task tree with the program's names and what each awaits", T, async () => {
    await page.goto(app.url);
    await page.locator("#conn", { hasText: "live" }).waitFor();
    const names = await page.locator(".task-name").evaluateAll((els) => els.map((e) => e.firstChild?.textContent ?? ""));
    for (const name of ["main", "mover", "victim", "lock-group", "holder", "waiter-a", "waiter-b", "cruncher"]) assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
    // Children sit inside their parent's box.
    assert.equal(await row("lock-group").locator(".children .task-name", { hasText: "waiter-b" }).count(), 1);
    assert.match((await awaitOf("waiter-a").textContent()) ?? "", /Lock\.acquire\(\) on <Lock locked waiters=2> for \d/);
    assert.match((await awaitOf("cruncher").textContent()) ?? "", /executor job on ThreadPoolExecutor \(running\)/);
    // The primitives panel lists the lock's waiters in order, and its holder.
    const lock = page.locator(".prim", { hasText: "<Lock locked waiters=2>" });
    assert.deepEqual((await lock.locator("li").allTextContents()).map((t) => t.split(" #")[0]), ["waiter-a", "waiter-b"]);
    assert.match((await lock.locator(".holder").textContent()) ?? "", /held by holder #\d+/);
    // Filter by name and by state; collapse a subtree.
    await page.fill("#filter", "waiter-");
    await until(async () => (await page.locator(".task-name").count()) === 4); // main > lock-group > waiter-a, waiter-b
    await page.fill("#filter", "");
    await page.selectOption("#state", "running");
    await until(async () => (await page.locator(".task-name").evaluateAll((els) => els.map((e) => e.firstChild?.textContent ?? ""))).every((name) => name === "main"));
    await page.selectOption("#state", "");
    await row("lock-group").locator("> .row .toggle").click();
    assert.equal(await row("lock-group").locator("> .children").isVisible(), false);
    await page.click("#expand");
    assert.equal(await row("lock-group").locator("> .children").isVisible(), true);
    // A task's details: where it was created and its await stack (debug mode).
    await row("holder").locator("> .row .task-name").click();
    assert.match((await row("holder").locator("> .details").textContent()) ?? "", /created .*monitor-app\.ts:\d+:\d+[\s\S]*monitor-app\.ts:\d+:\d+/);
    await until(async () => (await page.locator("#lagchart polyline").count()) === 2, 5);
  });

  it("a task moves from sleep() to Queue.get() on the page", T, async () => {
    assert.match((await awaitOf("mover").textContent()) ?? "", /^sleep\(\)/);
    app.send("step");
    await awaitOf("mover").filter({ hasText: /^Queue\.get\(\) on <Queue maxsize=2 getters=1>/ }).waitFor({ timeout: 10_000 });
  });

  it("a page from another origin cannot cancel a task, even knowing the token", T, async () => {
    // Another site, served from another local port: its script tries what a hostile page could.
    const evil = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<!doctype html><title>elsewhere</title><form method=post></form>");
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    const port = (evil.address() as { port: number }).port;
    const other = await context.newPage();
    try {
      await other.goto(`http://localhost:${port}/`);
      const victimId = await row("victim").getAttribute("data-task-id");
      const url = new URL(app.url);
      const target = `${url.origin}/api/tasks/${victimId}/cancel?token=${url.searchParams.get("token")}`;
      const outcome = await other.evaluate(
        async ({ target, token }) => {
          const results: string[] = [];
          // With the header: a preflight the monitor never approves.
          try {
            await fetch(target, { method: "POST", headers: { "X-Monitor-Token": token } });
            results.push("header: sent");
          } catch {
            results.push("header: blocked");
          }
          // A "simple" request (no preflight): it reaches the server, which refuses it.
          const r = await fetch(target, { method: "POST", mode: "no-cors" });
          results.push(`no-cors: ${r.type}`);
          return results;
        },
        { target, token: url.searchParams.get("token") ?? "" },
      );
      assert.deepEqual(outcome, ["header: blocked", "no-cors: opaque"]);
      // A form post, the classic forgery.
      await other.locator("form").evaluate((form, action) => {
        (form as unknown as { action: string; submit(): void }).action = action;
        (form as unknown as { submit(): void }).submit();
      }, target);
      await other.waitForURL(/\/api\/tasks\//);
      assert.match((await other.textContent("body")) ?? "", /refused/);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(app.stdout().includes("cancelled: victim"), false, "the victim still runs");
      assert.equal(await row("victim").count(), 1);
    } finally {
      await other.close();
      evil.close();
    }
  });

  it("the cancel button cancels the task in the program", T, async () => {
    await row("victim").locator("> .row button.cancel").click();
    await app.waitForOutput("cancelled: victim");
    await row("victim").waitFor({ state: "detached", timeout: 10_000 });
    await page.locator("#toast", { hasText: 'cancel requested: Task "victim"' }).waitFor();
  });

  it("a banner says the loop is blocked while the main thread spins, and goes away after", T, async () => {
    app.send("block 4");
    const banner = page.locator("#banner.on");
    await banner.waitFor({ timeout: 10_000 });
    await page.locator("#banner", { hasText: /blocked: no answer from the main thread for [1-9]\.\d s/ }).waitFor({ timeout: 10_000 });
    if (updateDocs) await page.screenshot({ path: join(docsImages, "monitor-blocked.png"), clip: { x: 0, y: 0, width: 1400, height: 420 } });
    await page.locator("#banner:not(.on)").waitFor({ state: "attached", timeout: 15_000 });
    // The watchdog's record of the stretch (it sees it end to within a quarter second).
    const slow = page.locator("#slow li", { hasText: /the event loop was blocked for [3-9]\.\d+ seconds/ });
    await slow.waitFor({ timeout: 10_000 }).catch(async (error: unknown) => {
      throw new Error(`slow log: ${await page.locator("#slow").textContent()}`, { cause: error });
    });
    if (updateDocs) await page.screenshot({ path: join(docsImages, "monitor.png") });
  });
});
