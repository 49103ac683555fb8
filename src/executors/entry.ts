/**
 * How a worker starts: which file it runs, with which Node options, and how it finds the parent's
 * TypeScript loader.
 *
 * - Built (dist/): the entries are dist/executors/threadWorker.js and processWorker.js.
 * - From source under tsx (this module is a .ts file): the entries are .ts files, which a worker
 *   could only load with the loader in it, and loading tsx costs a worker ~0.3-0.5 s at startup
 *   (on Node 20 tsx does not even hook worker threads). So the entry and its few imports are
 *   bundled to plain JavaScript once per process with esbuild (a dependency of tsx) and workers
 *   start without the loader, in tens of milliseconds.
 * - Either way, a tsx `--import`/`--loader` flag of the parent is not repeated in the workers;
 *   instead a worker registers tsx (`tsx/esm/api`) the first time a `fromModule` job imports a
 *   TypeScript file, so TS modules work and plain jobs do not pay for the loader. Other flags of
 *   `process.execArgv` are passed on (for processes: except debugger, test, watch and eval flags).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const FROM_SOURCE = import.meta.url.endsWith(".ts");

function isTsxSpecifier(value: string): boolean {
  return /^tsx(\/|$)/.test(value) || /[/\\]node_modules[/\\]tsx[/\\]/.test(value);
}

const LOADER_FLAGS = new Set(["--import", "--loader", "--experimental-loader", "--require", "-r"]);

interface ParsedArgv {
  /** The parent's execArgv without tsx loader flags. */
  kept: string[];
  /** Whether a tsx loader flag was found. */
  tsx: boolean;
}

let parsed: ParsedArgv | null = null;

function parseExecArgv(): ParsedArgv {
  if (parsed !== null) return parsed;
  const kept: string[] = [];
  let tsx = false;
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (LOADER_FLAGS.has(flag)) {
      const value = eq > 0 ? arg.slice(eq + 1) : (argv[i + 1] ?? "");
      if (isTsxSpecifier(value)) {
        tsx = true;
        if (eq < 0) i++;
        continue;
      }
    }
    kept.push(arg);
  }
  parsed = { kept, tsx };
  return parsed;
}

let tsxApiUrl: string | null | undefined;

/** The URL of `tsx/esm/api` for a worker to register lazily, if the parent runs under tsx. */
export function tsxApi(): string | null {
  if (tsxApiUrl !== undefined) return tsxApiUrl;
  tsxApiUrl = null;
  if (parseExecArgv().tsx) {
    try {
      tsxApiUrl = import.meta.resolve("tsx/esm/api");
    } catch {
      // tsx is not resolvable from here: TypeScript fromModule files will fail with a clear error.
    }
  }
  return tsxApiUrl;
}

/** execArgv for worker threads, or undefined to inherit the parent's (Node's default). */
function threadExecArgv(): string[] | undefined {
  const { kept, tsx } = parseExecArgv();
  return tsx ? kept : undefined;
}

/** execArgv for worker processes: `argv` minus flags that must not be repeated. */
function processExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (/^--(inspect|debug|test|watch)/.test(arg)) continue;
    if (arg === "-e" || arg === "--eval" || arg === "-p" || arg === "--print" || arg === "-pe") {
      i++; // and its code
      continue;
    }
    if (/^--(eval|print)=/.test(arg)) continue;
    out.push(arg);
  }
  return out;
}

const bundles = new Map<string, string | null>();

/** Source mode: the entry and its imports as one CommonJS script, or null without esbuild. */
function bundle(name: string): string | null {
  let code = bundles.get(name);
  if (code !== undefined) return code;
  code = null;
  try {
    const esbuild = createRequire(import.meta.url)("esbuild") as {
      buildSync(options: object): { outputFiles: Array<{ text: string }> };
    };
    const result = esbuild.buildSync({
      entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
      bundle: true,
      write: false,
      format: "cjs",
      platform: "node",
      target: `node${process.versions.node.split(".")[0] ?? "20"}`,
      logLevel: "silent",
    });
    code = result.outputFiles[0]?.text ?? null;
  } catch {
    // No esbuild: fall back to the .ts entry, which needs the loader in the worker.
  }
  bundles.set(name, code);
  return code;
}

/** How to start a worker thread: what `new Worker()` runs, and its execArgv (undefined: inherit). */
export function threadSetup(): { entry: { url: URL } | { code: string }; execArgv: string[] | undefined } {
  if (!FROM_SOURCE) return { entry: { url: new URL("./threadWorker.js", import.meta.url) }, execArgv: threadExecArgv() };
  const code = bundle("threadWorker");
  if (code !== null) return { entry: { code }, execArgv: threadExecArgv() };
  // No bundle: the .ts entry needs the parent's loader in the worker.
  return { entry: { url: new URL("./threadWorker.ts", import.meta.url) }, execArgv: undefined };
}

let processSetupCache: { file: string; execArgv: string[] } | undefined;

/**
 * Writes `code` to a new directory of this process's own (mode 0700, a random name made by
 * mkdtemp), removed when the process exits. Never a predictable name in the shared temp
 * directory: another local user could create that file first and have the workers run theirs.
 */
function writePrivate(name: string, code: string): string {
  const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, code, { mode: 0o600, flag: "wx" });
  return file;
}

/** How to start a worker process: the file it runs (from source: the bundle, written once per process to a private directory) and its execArgv. */
export function processSetup(): { file: string; execArgv: string[] } {
  if (processSetupCache !== undefined) return processSetupCache;
  if (!FROM_SOURCE) {
    processSetupCache = { file: fileURLToPath(new URL("./processWorker.js", import.meta.url)), execArgv: processExecArgv(parseExecArgv().kept) };
    return processSetupCache;
  }
  const code = bundle("processWorker");
  if (code === null) {
    processSetupCache = { file: fileURLToPath(new URL("./processWorker.ts", import.meta.url)), execArgv: processExecArgv(process.execArgv) };
    return processSetupCache;
  }
  processSetupCache = { file: writePrivate("processWorker.cjs", code), execArgv: processExecArgv(parseExecArgv().kept) };
  return processSetupCache;
}
