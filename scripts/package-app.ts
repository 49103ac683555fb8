/**
 * A scratch application that depends on asyncio-ts the way a user's does: through the tarball
 * `npm pack` makes, installed with `npm install`. test/package-install.test.ts builds one and runs
 * it on Node; CI (.ci/run) builds one more to type-check it with TypeScript 7 and to run it on Bun
 * and Deno:
 *
 *     node --import tsx scripts/package-app.ts DIR   # needs dist/ (npm run build); prints DIR
 *
 * What the app holds:
 * - `esm.mjs` and `cjs.cjs`: `import` and `require()` consumers (tasks, timeouts, both pools);
 * - `app.ts`: a TypeScript consumer, compiled with `skipLibCheck: false` against the shipped
 *   .d.ts files; `@ts-expect-error` lines fail the compile if an internal member shows through;
 * - `docs/`: every complete TypeScript example of README.md and docs/ (blocks `ts`, `ts no-run`
 *   and `ts file=`), importing "asyncio-ts" unchanged;
 * - `frames.mjs` and `frames.ts` (the same program): debug-mode reports whose stack locations must name this app's file, never the
 *   package's dist/ or (through its source maps) src/;
 * - `tsconfig.json`: strict, NodeNext; `npx tsc -p DIR` checks app.ts, frames.ts and docs/.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { docFiles, extractSnippets, slug } from "./doc-snippets.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Packs the repository (its dist/ must be built) into `dest`; returns the tarball's path. */
export function packTarball(dest: string): string {
  mkdirSync(dest, { recursive: true });
  // --ignore-scripts: dist/ is already built (`prepare` would build it again).
  const out = execFileSync(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", dest], { cwd: root, encoding: "utf8" });
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (info === undefined) throw new Error(`npm pack printed no result: ${out}`);
  return join(dest, info.filename);
}

/** The paths the tarball holds, as `tar` lists them (package/...). */
export function tarballFiles(tarball: string): string[] {
  return execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter((l) => l !== "");
}

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022", "esnext.disposable"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    types: ["node"],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ["app.ts", "frames.ts", "docs"],
};

const ESM = `import { gather, ProcessPoolExecutor, run, sleep, ThreadPoolExecutor, timeout, TimeoutError } from "asyncio-ts";
import { VirtualClock } from "asyncio-ts/testing";

const square = (x) => x * x;
const lines = await run(async () => {
  const out = [];
  out.push(String(await gather(sleep(0.01, 1), sleep(0.02, 2))));
  try {
    await timeout(0.01, () => sleep(10));
  } catch (e) {
    out.push(e instanceof TimeoutError ? "timeout" : String(e));
  }
  // Plain JavaScript on Node 20 has no \`await using\`: shut the pools down by hand.
  const threads = new ThreadPoolExecutor({ maxWorkers: 1 });
  const processes = new ProcessPoolExecutor({ maxWorkers: 1 });
  try {
    out.push(String(await threads.submit(square, 3)), String(await processes.submit(square, 4)));
  } finally {
    await threads.shutdown();
    await processes.shutdown();
  }
  return out;
});
const virtual = await run(() => sleep(60, "virtual"), { clock: new VirtualClock() });
console.log("esm", lines.join(" "), virtual);
`;

const CJS = `const { gather, run, sleep, ThreadPoolExecutor } = require("asyncio-ts");
const { VirtualClock } = require("asyncio-ts/testing");
const { license } = require("asyncio-ts/package.json");

run(async () => {
  const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  try {
    const [a, b] = await gather(sleep(30, "a"), pool.submit((x) => x + 1, 1));
    return \`\${a} \${b}\`;
  } finally {
    await pool.shutdown();
  }
}, { clock: new VirtualClock() }).then((value) => console.log("cjs", value, license));
`;

const APP = `import { asCompleted, createTask, run, Semaphore, sleep, type Task } from "asyncio-ts";
import { VirtualClock } from "asyncio-ts/testing";

const results: number[] = await run(async () => {
  const sem = new Semaphore(2);
  const tasks: Task<number>[] = [3, 1, 2].map((n) =>
    createTask(async () => {
      using _ = await sem.acquire();
      return sleep(n, n);
    }),
  );
  const order: number[] = [];
  for await (const done of asCompleted(tasks)) order.push(done.result() + tasks.indexOf(done as Task<number>) * 0);
  // Internals stay out of the declarations users compile against:
  // @ts-expect-error Semaphore's permit count is not public
  sem._value = 10;
  // @ts-expect-error the kernel's hooks are @internal
  void tasks[0]?._waitOn;
  return order;
}, { clock: new VirtualClock() });
console.log(results.join(","));
`;

/**
 * Debug-mode reports, each of which names where the user's code did something: the frame after
 * "created" or "at" must be this file. One report per line on stdout, prefixed by its kind.
 */
const FRAMES = `import { createTask, getRunningLoop, run, sleep } from "asyncio-ts";

await run(
  async () => {
    const loop = getRunningLoop();
    loop.slowCallbackDuration = 0.05;
    loop.setExceptionHandler((_loop, context) => {
      console.log(\`\${context.kind ?? "unretrieved"}: \${context.message.replace(/\\n\\s*/g, " | ")}\`);
    });
    const failing = createTask(async () => {
      throw new Error("boom");
    }, { name: "failing" });
    createTask(() => sleep(10), { name: "left-pending" });
    const blocker = createTask(async () => {
      await sleep(0);
      const until = performance.now() + 120;
      while (performance.now() < until); // blocks the loop
    }, { name: "blocker" });
    await blocker;
    await sleep(0);
    void failing; // never awaited: reported as never retrieved
  },
  { debug: true },
);
`;

function writeDocs(dir: string): number {
  let count = 0;
  for (const doc of docFiles(root)) {
    const docDir = join(dir, "docs", slug(doc));
    for (const snippet of extractSnippets(root, doc)) {
      if (snippet.mode === "skip" || snippet.mode === "fragment") continue;
      mkdirSync(docDir, { recursive: true });
      const name = snippet.mode === "file" ? (snippet.fileName as string) : `L${snippet.line}.ts`;
      let code = `// ${snippet.doc}:${snippet.line}\n${snippet.code}`;
      if (!/^\s*(import|export)\b/m.test(code)) code += "\nexport {};\n";
      writeFileSync(join(docDir, name), code);
      count++;
    }
  }
  return count;
}

/**
 * Makes the scratch app in `dir` (emptied first): packs the repository, installs the tarball with
 * npm (offline: the package has no dependencies), links the repository's @types/node, and writes
 * the consumers. Returns the tarball's path.
 */
export function createApp(dir: string): { tarball: string; docExamples: number } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tarball = packTarball(join(dir, "tarball"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }, null, 2));
  execFileSync(npm, ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", tarball], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  // What a TypeScript user has installed beside it: @types/node, and tsx to run .ts files.
  const links = [...readdirSync(join(root, "node_modules", "@types")).map((name) => join("@types", name)), "tsx"];
  mkdirSync(join(dir, "node_modules", "@types"), { recursive: true });
  for (const name of links) {
    const link = join(dir, "node_modules", name);
    if (!existsSync(link)) symlinkSync(join(root, "node_modules", name), link, "dir");
  }
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
  writeFileSync(join(dir, "esm.mjs"), ESM);
  writeFileSync(join(dir, "cjs.cjs"), CJS);
  writeFileSync(join(dir, "app.ts"), APP);
  // The same program twice: plain JavaScript for Node, TypeScript for tsx, Bun and Deno.
  writeFileSync(join(dir, "frames.mjs"), FRAMES);
  writeFileSync(join(dir, "frames.ts"), FRAMES);
  return { tarball, docExamples: writeDocs(dir) };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error("usage: node --import tsx scripts/package-app.ts DIR");
    process.exit(2);
  }
  createApp(resolve(dir));
  console.log(resolve(dir));
}
