// The monitor as installed: `asyncio-ts/monitor` resolved through the exports map to dist/ (its
// server thread is dist/monitor/serverThread.js, not the source bundle), and the `asyncio-ts` bin.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, it } from "./helpers.js";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("asyncio-ts/monitor (built)", () => {
  it("package.json exports asyncio-ts/monitor and a bin asyncio-ts with a shebang", { timeout: 10_000 }, () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { exports: Record<string, { import: string }>; bin: Record<string, string> };
    assert.equal(pkg.exports["./monitor"]?.import, "./dist/monitor/index.js");
    const bin = pkg.bin["asyncio-ts"];
    assert.equal(bin, "./dist/cli/main.js");
    assert.match(readFileSync(`${root}${bin}`, "utf8"), /^#!\/usr\/bin\/env node\n/);
  });

  it("the built monitor serves a live process, and the built CLI reads it", { timeout: 30_000 }, async () => {
    const fixture = fileURLToPath(new URL("./fixtures/monitor-built.mjs", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [fixture], { timeout: 25_000 });
    assert.match(stdout, /^id\s+name\s+state/m);
    assert.match(stdout, /^\d+\s+built-sleeper\s+waiting\s+sleep\(\)/m);
  });
});
