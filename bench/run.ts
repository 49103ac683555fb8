/**
 * `npm run bench` — asyncio-ts side by side with hand-written floors, the JavaScript peers and
 * CPython asyncio, on this Node and then on Node 24, in one run.
 *
 *   npm run bench                     full suite, current Node then Node 24 (installed on demand)
 *   npm run bench -- --quick          smoke run: small sizes, one measured run each, one process per
 *                                     workload (so on Node 20 the library's AsyncLocalStorage may tax
 *                                     the variants after it: trust only full runs for figures)
 *   npm run bench -- --only queue     one workload (an id or id prefix; repeat or comma-separate)
 *   npm run bench -- --report         also write docs/benchmarks.md and docs/benchmarks.svg
 *   npm run bench -- --no-node24      current Node only
 *
 * CPython runs once (in the first pass); its figures are shared by both Node columns.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import {
  BENCH_DIR,
  formatCell,
  formatOutcome,
  formatRatio,
  runVariants,
  textTable,
  type Lookup,
  type Outcome,
  type RunSettings,
  type Workload,
} from "./harness.js";
import { writeReport, type SuiteRun } from "./report.js";
import { workloads as allWorkloads } from "./workloads/index.js";

const ROOT = join(BENCH_DIR, "..");
const NODE24_DIR = join(ROOT, "node_modules", ".cache", "node24");
const NODE24_BIN = join(NODE24_DIR, "node_modules", ".bin", "node");

interface Options {
  quick: boolean;
  report: boolean;
  node24: boolean;
  python: boolean;
  only: string[];
  jsonOut: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, report: false, node24: true, python: true, only: [], jsonOut: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--quick") options.quick = true;
    else if (arg === "--report") options.report = true;
    else if (arg === "--no-node24") options.node24 = false;
    else if (arg === "--no-python") options.python = false;
    else if (arg === "--only") options.only.push(...(argv[++i] ?? "").split(",").filter(Boolean));
    else if (arg.startsWith("--only=")) options.only.push(...arg.slice(7).split(",").filter(Boolean));
    else if (arg === "--json") options.jsonOut = argv[++i];
    else throw new Error(`unknown option ${arg}; see the header of bench/run.ts`);
  }
  return options;
}

function selected(options: Options): Workload[] {
  if (options.only.length === 0) return allWorkloads;
  const chosen = allWorkloads.filter((w) => options.only.some((o) => w.id === o || w.id.startsWith(o)));
  if (chosen.length === 0) {
    throw new Error(`--only ${options.only.join(",")} matches no workload; ids: ${allWorkloads.map((w) => w.id).join(", ")}`);
  }
  return chosen;
}

/** Runs every variant of the selected workloads on this Node (CPython too, unless told not to). */
async function runSuite(workloads: Workload[], options: Options): Promise<SuiteRun> {
  const settings: RunSettings = { quick: options.quick, python: process.env["BENCH_PYTHON"] ?? "python3" };
  const results: SuiteRun["results"] = {};
  const label = `node ${process.version}`;
  for (const workload of workloads) {
    console.log(`\n[${label}] ${workload.id}: ${workload.title}`);
    const byVariant: Record<string, Outcome> = {};
    results[workload.id] = byVariant;
    // A full run isolates every variant in its own process; --quick shares one per workload.
    const js = workload.variants.filter((v) => v.python === undefined);
    const groups = options.quick ? [js] : js.map((v) => [v]);
    if (options.python) groups.push(...workload.variants.filter((v) => v.python !== undefined).map((v) => [v]));
    for (const group of groups) {
      const t0 = performance.now();
      const outcomes = await runVariants(workload, group, settings);
      const wall = ((performance.now() - t0) / 1000).toFixed(1);
      for (const variant of group) {
        const outcome = outcomes[variant.name] as Outcome;
        byVariant[variant.name] = outcome;
        const runs = outcome.kind === "ok" && outcome.values.length > 1 ? `  [${outcome.values.map((v) => v.toPrecision(3)).join(", ")}]` : "";
        console.log(`  ${variant.name.padEnd(46)} ${formatOutcome(outcome, workload.unit)}${runs}  (${wall} s wall)`);
      }
    }
  }
  return { node: process.version, quick: options.quick, results };
}

function ensureNode24(): string {
  if (existsSync(NODE24_BIN)) return NODE24_BIN;
  console.log(`\nInstalling node@24 into ${NODE24_DIR} ...`);
  mkdirSync(NODE24_DIR, { recursive: true });
  writeFileSync(join(NODE24_DIR, "package.json"), JSON.stringify({ private: true, allowScripts: { node: true } }));
  execFileSync("npm", ["install", "--prefix", NODE24_DIR, "--no-save", "--no-package-lock", "node@24"], { stdio: "inherit" });
  if (!existsSync(NODE24_BIN)) throw new Error(`node@24 installed but ${NODE24_BIN} is missing`);
  return NODE24_BIN;
}

/** Re-runs this script under another Node binary and returns its figures. */
function runUnder(node: string, options: Options): Promise<SuiteRun> {
  const dir = join(tmpdir(), `asyncio-ts-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, "node24.json");
  const args = ["--import", "tsx", join(BENCH_DIR, "run.ts"), "--no-node24", "--no-python", "--json", out];
  if (options.quick) args.push("--quick");
  if (options.only.length > 0) args.push("--only", options.only.join(","));
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { stdio: "inherit", cwd: ROOT });
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        if (code !== 0) throw new Error(`${node} exited with ${code}`);
        resolve(JSON.parse(readFileSync(out, "utf8")) as SuiteRun);
      } catch (error) {
        reject(error);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** Figures of one pass, CPython's taken from the pass that ran it. */
function lookup(run: SuiteRun, python: SuiteRun): Lookup {
  return (workload, variant) => {
    const outcome = run.results[workload]?.[variant] ?? python.results[workload]?.[variant];
    return outcome?.kind === "ok" ? outcome.median : undefined;
  };
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? "n/a" : met ? "met" : "MISSED";
}

function printTables(workloads: Workload[], runs: SuiteRun[]): void {
  const python = runs[0] as SuiteRun;
  console.log("\n\nResults (median; ratios = value ÷ reference, below 1 is better; CPython ran once, shared by both columns)");
  for (const workload of workloads) {
    const floor = workload.variants.find((v) => v.role === "floor")?.name;
    const cpython = workload.variants.find((v) => v.role === "cpython")?.name;
    const header = ["", "variant"];
    for (const run of runs) header.push(`node ${run.node}`, "÷ floor", "÷ CPython");
    const rows = workload.variants.map((variant) => {
      const row = [variant.role === "cpython" ? "py" : variant.role === "floor" ? "=" : variant.role === "asyncio-ts" ? "*" : "", variant.name];
      for (const run of runs) {
        const get = lookup(run, python);
        const isPython = variant.python !== undefined;
        const outcome = isPython ? python.results[workload.id]?.[variant.name] : run.results[workload.id]?.[variant.name];
        if (isPython && run !== python) {
          row.push("〃", "", "");
          continue;
        }
        const value = get(workload.id, variant.name);
        row.push(
          formatCell(outcome, workload.unit),
          floor !== undefined ? formatRatio(value, get(workload.id, floor)) : "",
          cpython !== undefined ? formatRatio(value, get(workload.id, cpython)) : "",
        );
      }
      return row;
    });
    console.log(`\n${workload.id}: ${workload.title}`);
    console.log(textTable(header, rows));
    if (workload.target !== undefined) {
      const verdicts = runs.map((run) => `node ${run.node}: ${verdict(workload.target?.check(lookup(run, python)))}`);
      console.log(`target: ${workload.target.text} — ${verdicts.join("; ")}`);
    }
  }
  console.log("\n(= floor, * asyncio-ts, py CPython 3; 〃 = same CPython figure as the first column)");
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const workloads = selected(options);
  const started = performance.now();
  const first = await runSuite(workloads, options);
  if (options.jsonOut !== undefined) {
    writeFileSync(options.jsonOut, JSON.stringify(first));
    return;
  }
  const runs = [first];
  const major = Number(process.versions.node.split(".")[0]);
  if (options.node24 && major !== 24) {
    const node24 = ensureNode24();
    console.log(`\n=== re-running under ${execFileSync(node24, ["--version"]).toString().trim()} ===`);
    runs.push(await runUnder(node24, options));
  }
  printTables(workloads, runs);
  const wall = (performance.now() - started) / 1000;
  console.log(`\nwall time ${wall.toFixed(0)} s on ${cpus().length} cores`);
  if (options.report) {
    const written = writeReport({ workloads, runs, wallSeconds: wall, argv: process.argv.slice(2), root: ROOT });
    console.log(`wrote ${written.join(", ")}`);
  }
}

await main();
