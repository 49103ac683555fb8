// `npx asyncio-ts ps URL` and `pstree URL` against a live process running the monitor.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startApp, type App } from "./monitor-helpers.js";
import { after, before, describe, it, NODE_CHILD } from "./helpers.js";

const T = { timeout: 60_000 };
const cli = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

function asyncioTs(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", cli, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}

describe("asyncio-ts ps / pstree", NODE_CHILD, () => {
  let app: App;
  before(async () => {
    app = await startApp({ MONITOR_APP_DEBUG: "1" });
  });
  after(async () => {
    await app.stop();
  });

  it("asyncio-ts ps URL prints a table of the live process's tasks", T, async () => {
    const { code, stdout, stderr } = await asyncioTs("ps", app.url);
    assert.equal(code, 0, stderr);
    const lines = stdout.split("\n");
    assert.match(lines[0]!, /^pid \d+ \(.*monitor-app\.ts\)$/);
    assert.match(lines[1]!, /^id\s+name\s+state\s+awaiting\s+for\s+created at$/);
    const row = (name: string): string => lines.find((l) => new RegExp(`^\\d+\\s+${name}\\s`).test(l)) ?? `(no row for ${name} in\n${stdout})`;
    assert.match(row("victim"), /waiting\s+sleep\(\) \(\d+\.\ds left\)\s+\d+\.\ds\s+.*monitor-app\.ts:\d+:\d+/);
    assert.match(row("waiter-a"), /waiting\s+Lock\.acquire\(\) on <Lock locked waiters=2>/);
    assert.match(row("cruncher"), /executor job on ThreadPoolExecutor/);
    assert.match(row("main"), /running/);
  });

  it("asyncio-ts pstree URL prints the tree with where each task awaits", T, async () => {
    const { code, stdout, stderr } = await asyncioTs("pstree", app.url);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^Task "main" #\d+ running, or awaiting a foreign promise$/m);
    assert.match(stdout, /^├── Task "lock-group" #\d+ awaiting/m);
    assert.match(stdout, /^│ {3}├── Task "holder" #\d+ awaiting Event\.wait\(\) on <Event unset waiters=1> for \d/m);
    assert.match(stdout, /^│ {3}[│ ]\s+created .*monitor-app\.ts:\d+:\d+/m);
    assert.match(stdout, /^│ {3}[│ ]\s+at .*monitor-app\.ts:\d+:\d+/m, "await stacks (debug mode)");
    assert.match(stdout, /└── Task "waiter-b"/);
  });

  it("asyncio-ts ps still answers, from the last known state, while the loop is blocked", T, async () => {
    app.send("block 6");
    await new Promise((r) => setTimeout(r, 800));
    const { code, stdout, stderr } = await asyncioTs("ps", app.url);
    assert.equal(code, 0, stderr);
    assert.match(stdout.split("\n")[0]!, /event loop blocked for \d+\.\d s; last known state:$/);
    assert.match(stdout, /victim/);
  });

  it("asyncio-ts refuses bad usage, a URL without token and a wrong token", T, async () => {
    assert.equal((await asyncioTs()).code, 2);
    assert.equal((await asyncioTs("nope")).code, 2);
    assert.equal((await asyncioTs("ps")).code, 2);
    const bare = new URL(app.url);
    bare.search = "";
    const noToken = await asyncioTs("ps", bare.href);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /no \?token=/);
    bare.searchParams.set("token", "0".repeat(32));
    const wrong = await asyncioTs("pstree", bare.href);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /HTTP 403/);
  });
});
