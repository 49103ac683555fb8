/**
 * `npm run bench` — asyncio-ts side by side with hand-written floors, the JavaScript peers and
 * CPython asyncio, on this Node and then on Node 24, in one run.
 *
 *   npm run bench                     full suite, current Node then Node 24 (installed on demand)
 *   npm run bench -- --check          the regression guard (bench/check.ts, bench/budget.json):
 *                                     key workloads, small sizes, ratios against the budget; exits 1
 *                                     on a regression. About 35 s per Node.
 *   npm run bench -- --quick          smoke run: small sizes, 3 rounds, one process per workload
 *                                     (so on Node 20 the floors run with the library's
 *                                     AsyncLocalStorage hooks on: trust only full runs for figures)
 *   npm run bench -- --only queue     one workload (an id or id prefix; repeat or comma-separate)
 *   npm run bench -- --report         also write docs/benchmarks.md and docs/benchmarks.svg
 *   npm run bench -- --no-node24      current Node only
 *
 * JavaScript variants are measured in alternating rounds (bench/rounds.ts; docs/benchmarks.md,
 * "Method"). CPython runs once (in the first pass); its figures are shared by both Node columns.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { loadBudget, printCheck, runCheck, type CheckRun } from "./check.js";
import {
  BENCH_DIR,
  formatCell,
  formatOutcome,
  formatRatio,
  runPython,
  textTable,
  type Lookup,
  type Outcome,
  type RunSettings,
  type Workload,
} from "./harness.js";
import { floorRatio, reportRows, targetVerdict, writeReport, type SuiteRun } from "./report.js";
import { measureRounds } from "./rounds.js";
import { workloads as allWorkloads } from "./workloads/index.js";

const ROOT = join(BENCH_DIR, "..");
const NODE24_DIR = join(ROOT, "node_modules", ".cache", "node24");
const NODE24_BIN = join(NODE24_DIR, "node_modules", ".bin", "node");

interface Options {
  quick: boolean;
  check: boolean;
  report: boolean;
  node24: boolean;
  python: boolean;
  only: string[];
  jsonOut: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, check: false, report: false, node24: true, python: true, only: [], jsonOut: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--quick") options.quick = true;
    else if (arg === "--check") options.check = true;
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
    const js = workload.variants.filter((v) => v.python === undefined);
    if (js.length > 0) {
      const t0 = performance.now();
      const measured = await measureRounds(workload, js, {
        n: options.quick ? workload.quickN : workload.n,
        rounds: options.quick ? 3 : (workload.rounds ?? Math.max(9, workload.runs)),
        maxSeconds: options.quick ? 5 : 60,
        splitAls: !options.quick,
      });
      console.log(`  (${measured.method}; ${((performance.now() - t0) / 1000).toFixed(1)} s wall)`);
      for (const [name, outcome] of Object.entries(measured.outcomes)) {
        byVariant[name] = outcome;
        const ratio = outcome.kind === "ok" && outcome.vsFloor !== undefined ? `  ÷ floor ${floorRatio(outcome)}` : "";
        console.log(`  ${name.padEnd(46)} ${formatOutcome(outcome, workload.unit)}${ratio}`);
      }
    }
    if (!options.python) continue;
    for (const variant of workload.variants.filter((v) => v.python !== undefined)) {
      const outcome = await runPython(workload, variant, settings);
      byVariant[variant.name] = outcome;
      console.log(`  ${variant.name.padEnd(46)} ${formatOutcome(outcome, workload.unit)}`);
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

/** Re-runs this script under another Node binary and returns its figures (a SuiteRun or a CheckRun). */
function runUnder<T>(node: string, options: Options): Promise<T> {
  const dir = join(tmpdir(), `asyncio-ts-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, "node24.json");
  const args = ["--import", "tsx", join(BENCH_DIR, "run.ts"), "--no-node24", "--no-python", "--json", out];
  if (options.quick) args.push("--quick");
  if (options.check) args.push("--check");
  if (options.only.length > 0) args.push("--only", options.only.join(","));
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { stdio: "inherit", cwd: ROOT });
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        if (code !== 0) throw new Error(`${node} exited with ${code}`);
        resolve(JSON.parse(readFileSync(out, "utf8")) as T);
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
  return met === undefined ? "n/a" : met ? "met" : "NOT MET";
}

function printTables(workloads: Workload[], runs: SuiteRun[]): void {
  const python = runs[0] as SuiteRun;
  console.log("\n\nResults (median; ÷ floor = median of per-round ratios (interquartile range); ÷ CPython = ratio of medians, CPython ran once)");
  for (const workload of workloads) {
    const floor = workload.variants.find((v) => v.role === "floor")?.name;
    const cpython = workload.variants.find((v) => v.role === "cpython")?.name;
    const header = ["", "variant"];
    for (const run of runs) header.push(`node ${run.node}`, "÷ floor", "÷ CPython");
    const rows = reportRows(workload, runs).map((variant) => {
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
          floor !== undefined ? floorRatio(outcome) || formatRatio(value, get(workload.id, floor)) : "",
          cpython !== undefined ? formatRatio(value, get(workload.id, cpython)) : "",
        );
      }
      return row;
    });
    console.log(`\n${workload.id}: ${workload.title}`);
    console.log(textTable(header, rows));
    if (workload.target !== undefined) {
      const verdicts = runs.map((run) => `node ${run.node}: ${verdict(targetVerdict(workload, run, python))}`);
      console.log(`target: ${workload.target.text} — ${verdicts.join("; ")}`);
    }
  }
  console.log("\n(= floor, * asyncio-ts, py CPython 3; 〃 = same CPython figure as the first column)");
}

/** `--check`: the guard on this Node, then on Node 24; exit code 1 on a regression. */
async function check(options: Options): Promise<void> {
  const started = performance.now();
  console.log(`\n[node ${process.version}] --check`);
  const first = await runCheck();
  if (options.jsonOut !== undefined) {
    writeFileSync(options.jsonOut, JSON.stringify(first));
    return;
  }
  const runs: CheckRun[] = [first];
  if (options.node24 && Number(process.versions.node.split(".")[0]) !== 24) runs.push(await runUnder<CheckRun>(ensureNode24(), options));
  const failed = printCheck(runs, loadBudget());
  console.log(`\nwall time ${((performance.now() - started) / 1000).toFixed(0)} s on ${cpus().length} cores; ${failed === 0 ? "no regression" : `${failed} REGRESSION(S)`}`);
  if (failed > 0) process.exitCode = 1;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.check) return check(options);
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
    runs.push(await runUnder<SuiteRun>(node24, options));
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
