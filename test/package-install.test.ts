// The package as a user gets it: the tarball `npm pack` makes, installed with `npm install` into a
// scratch app (scripts/package-app.ts), then imported, require()d, compiled against and debugged.
// Needs dist/ (`npm test` builds it first). CI type-checks the same app with TypeScript 7 and runs
// it on Bun and Deno (.ci/run).
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { createApp, tarballFiles } from "../scripts/package-app.js";
import { after, before, describe, it } from "./helpers.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "asyncio-ts-package-"));
const app = join(work, "app");
const installed = join(app, "node_modules", "asyncio-ts");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(command: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolvePromise) => {
    const env = { ...process.env };
    delete env["ASYNCIO_TS_DEBUG"];
    delete env["NODE_TEST_CONTEXT"];
    delete env["NODE_OPTIONS"];
    execFile(command, args, { cwd, env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const e = error as (Error & { code?: number | string }) | null;
      resolvePromise({ code: e === null ? 0 : typeof e.code === "number" ? e.code : null, stdout, stderr });
    });
  });
}

async function ok(command: string, args: string[], cwd = app): Promise<string> {
  const ran = await exec(command, args, cwd);
  assert.equal(ran.code, 0, `${command} ${args.join(" ")} exited with ${String(ran.code)}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`);
  return ran.stdout;
}

/** Every file under `dir`, relative to it. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name))]));
}

let tarball = "";

describe("package install (npm pack → npm install → use)", { timeout: 300_000 }, () => {
  before(() => {
    tarball = createApp(app).tarball;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("npm pack ships dist/ with declarations and maps, the sources they map to, the docs and the licence", () => {
    const files = new Set(tarballFiles(tarball).map((f) => f.replace(/^package\//, "")));
    for (const f of ["package.json", "LICENSE", "README.md", "dist/index.js", "dist/index.d.ts", "dist/index.js.map", "dist/testing/index.js", "src/index.ts", "docs/guide/01-mental-model.md"]) {
      assert.ok(files.has(f), `the tarball lacks ${f}`);
    }
    assert.deepEqual([...files].filter((f) => /\.test\.ts$|^test\//.test(f)), [], "tests do not ship");
  });

  it("npm pack in a checkout without dist/ builds it first (prepare)", { timeout: 120_000 }, async () => {
    const checkout = join(work, "checkout");
    for (const f of ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md", "LICENSE", "src", "docs"]) cpSync(join(root, f), join(checkout, f), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(checkout, "node_modules"), "dir");
    const out = await ok(npm, ["pack", "--dry-run", "--json"], checkout);
    const [info] = JSON.parse(out.slice(out.indexOf("["))) as Array<{ files: Array<{ path: string }> }>;
    const paths = (info?.files ?? []).map((f) => f.path);
    assert.ok(paths.includes("dist/index.js") && paths.includes("dist/index.d.ts"), `npm pack packed no build: ${paths.length} files`);
  });

  it("package.json declares the MIT licence that LICENSE holds, and types/exports for import and require", () => {
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { license?: string; exports: Record<string, unknown> };
    assert.equal(pkg.license, "MIT");
    assert.match(readFileSync(join(installed, "LICENSE"), "utf8"), /^MIT License/);
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target !== "object" || target === null) continue;
      const keys = Object.keys(target);
      assert.equal(keys[0], "types", `exports["${entry}"]: "types" must come first`);
      assert.ok(keys.includes("default"), `exports["${entry}"] needs a "default" condition for require()`);
    }
  });

  it("the README's and docs' relative links resolve inside the installed package", () => {
    const broken: string[] = [];
    for (const doc of walk(installed).filter((f) => f.endsWith(".md") && !f.startsWith("node_modules"))) {
      const text = readFileSync(join(installed, doc), "utf8").replace(/```[\s\S]*?```/g, "");
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] ?? "").split("#")[0] ?? "";
        if (target === "" || /^[a-z]+:/i.test(target)) continue;
        if (!existsSync(join(installed, dirname(doc), target))) broken.push(`${doc}: ${m[1]}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it("every source map of dist/ points at a shipped source file", () => {
    const missing: string[] = [];
    const maps = walk(join(installed, "dist")).filter((f) => f.endsWith(".map"));
    assert.ok(maps.length > 10);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(installed, "dist", map), "utf8")) as { sources: string[] };
      for (const source of sources) {
        if (!existsSync(join(installed, "dist", dirname(map), source))) missing.push(`${map} -> ${source}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it("an ES module consumer runs: tasks, timeouts, a virtual clock, thread and process pools", async () => {
    assert.equal((await ok(process.execPath, ["esm.mjs"])).trim(), "esm 1,2 timeout 9 16 virtual");
  });

  it("a CommonJS consumer require()s the package and its ./testing entry", async () => {
    assert.equal((await ok(process.execPath, ["cjs.cjs"])).trim(), "cjs a 2 MIT");
  });

  it("a TypeScript consumer and the docs' examples compile against the shipped .d.ts (skipLibCheck off, no internals)", { timeout: 180_000 }, async () => {
    const ran = await exec(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", app], app, 170_000);
    assert.equal(ran.code, 0, `tsc failed on the scratch app:\n${ran.stdout}${ran.stderr}`);
    assert.equal((await ok(process.execPath, ["--import", "tsx", "app.ts"])).trim(), "1,2,3");
  });

  for (const [label, args] of [
    ["node (dist)", ["frames.mjs"]],
    ["node --enable-source-maps", ["--enable-source-maps", "frames.mjs"]],
    ["tsx", ["--import", "tsx", "frames.ts"]],
  ] as const) {
    it(`debug reports name the user's code, not the package's, under ${label}`, async () => {
      const lines = (await ok(process.execPath, [...args])).trim().split("\n");
      // A loaded machine may see another slow step (the first stack mapped through source maps is slow): it must name user code too.
      for (const kind of [/^slow-callback: Task "blocker"/, /^pending-at-exit: Task "left-pending"/, /^unretrieved: .*Task "failing"/]) {
        assert.ok(lines.some((l) => kind.test(l)), `no report matching ${String(kind)} in:\n${lines.join("\n")}`);
      }
      for (const line of lines) {
        assert.doesNotMatch(line, /node_modules[/\\]asyncio-ts/, line);
        // "created at fn (file:line:col)", or "created at file:line:col" for a top-level frame
        const sites = [...line.matchAll(/(?:created|resumed) at (.*?)(?: \| |$)/g)].map((m) => m[1] ?? "");
        assert.ok(sites.length > 0, line);
        for (const site of sites) assert.match(site, /[/\\]app[/\\]frames\.(mjs|ts):\d+:\d+\)?$/, line);
      }
    });
  }
});
