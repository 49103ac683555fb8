/**
 * `--report`: docs/benchmarks.md (tables, targets, machine, versions, how to reproduce) and
 * docs/benchmarks.svg (a bar chart drawn here: one panel per workload, log scale).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { formatCell, formatRatio, formatValue, type Lookup, type Outcome, type Variant, type Workload } from "./harness.js";
import { SAME_PROCESS_SUFFIX } from "./rounds.js";
import { formatSpread, formatStat } from "./stats.js";

/** One pass of the suite on one Node version. */
export interface SuiteRun {
  node: string;
  quick: boolean;
  results: Record<string, Record<string, Outcome>>;
}

interface ReportInput {
  workloads: Workload[];
  runs: SuiteRun[];
  wallSeconds: number;
  argv: string[];
  root: string;
}

function quiet(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"] }).toString().trim();
  } catch {
    return "unknown";
  }
}

function value(run: SuiteRun, python: SuiteRun, workload: Workload, variant: string): number | undefined {
  const isPython = workload.variants.find((v) => v.name === variant)?.python !== undefined;
  const outcome = (isPython ? python : run).results[workload.id]?.[variant];
  return outcome?.kind === "ok" ? outcome.median : undefined;
}

/** "1.42× (1.38–1.47)": the median of the per-round ratios to the floor and their interquartile range. */
export function floorRatio(outcome: Outcome | undefined): string {
  if (outcome?.kind !== "ok" || outcome.vsFloor === undefined) return "";
  const { vsFloor } = outcome;
  if (vsFloor.q1 === vsFloor.q3) return formatStat(vsFloor);
  return `${formatStat(vsFloor)} (${formatSpread(vsFloor)}${vsFloor.basis === "processes" ? ", by process" : ""})`;
}

/** A workload's rows: its variants, and after its floor the floor's same-process twin when measured. */
export function reportRows(workload: Workload, runs: SuiteRun[]): Variant[] {
  return workload.variants.flatMap((variant) => {
    const twin = variant.name + SAME_PROCESS_SUFFIX;
    const measured = variant.role === "floor" && runs.some((run) => run.results[workload.id]?.[twin] !== undefined);
    return measured ? [variant, { name: twin, role: "peer" as const }] : [variant];
  });
}

/**
 * A target's verdict: checked on the medians, then round by round (the figures of round i of each
 * variant). Met only when it holds on the medians and in at least 3 rounds out of 4, so a target
 * that the spread of the ratios crosses is "not met".
 */
export function targetVerdict(workload: Workload, run: SuiteRun, python: SuiteRun): boolean | undefined {
  const target = workload.target;
  if (target === undefined) return undefined;
  const at = (round: number | undefined): Lookup => (id, variant) => {
    const outcome = run.results[id]?.[variant] ?? python.results[id]?.[variant];
    if (outcome?.kind !== "ok") return undefined;
    return round === undefined ? outcome.median : (outcome.values[round] ?? outcome.median);
  };
  const onMedians = target.check(at(undefined));
  if (onMedians !== true) return onMedians;
  const rounds = Math.max(0, ...Object.values(run.results[workload.id] ?? {}).map((o) => (o.kind === "ok" ? o.values.length : 0)));
  let met = 0;
  for (let r = 0; r < rounds; r++) if (target.check(at(r)) === true) met++;
  return rounds === 0 || met >= 0.75 * rounds;
}

/** The "Method" section of docs/benchmarks.md (also how to run the guard). */
export const METHOD = [
  "## Method",
  "",
  "- **Alternating rounds in one process.** A workload's JavaScript variants (floor, asyncio-ts, peers) are",
  "  prepared in one `node` process (bench/child.ts), warmed up (a run at 1/20 size, then one full round",
  "  that is thrown away), then measured round after round: each variant once per round, the order",
  "  rotated by one every round (A B C, B C A, C A B …), a full GC before every run. Many short rounds",
  "  put the floor and the library under the same heap, the same JIT state and the same moment of",
  "  machine load; the floor no longer swings between processes (it did by 1.6× from one process to the",
  "  next, which made the old ratios lucky or unlucky pairs).",
  "- **Median of ratios, with spread.** Each round gives a ratio variant ÷ floor; the figure shown is the",
  "  median of those ratios and, in brackets, their interquartile range (the middle half of the rounds).",
  "  A target is **met** only when it holds on the medians and in at least 3 rounds out of 4: a ratio",
  "  whose spread crosses its target is \"not met\".",
  "- **Alternating processes where a process cannot be shared.** On Node 20 an AsyncLocalStorage (which",
  "  every asyncio-ts run uses, and the \"inside AsyncLocalStorage.run\" peers) turns on promise hooks for",
  "  the whole process, taxing every promise after it. So in a full run on Node 20 the clean floor and",
  "  the clean peers run in one process and the ALS users in another, the two alternating (A B A B A B);",
  "  a ratio across them is the median over process pairs. The floor is measured in the ALS process too",
  "  (\"… [same process, ALS hooks on]\"): the library's distance from what any code pays on Node 20 once",
  "  a context is in use. Node 24 (AsyncContextFrame) has no such tax: one process for all. CPython runs",
  "  in its own process.",
  "- **CPU time, except executors.** A run is timed with `process.cpuUsage()` (user + system, all threads",
  "  of the process): when a test suite runs on the other core the process waits for the CPU, which",
  "  wall time counts and CPU time does not, so ratios hold better. Executor workloads use wall time:",
  "  their work happens in worker threads and processes in parallel, and elapsed time is what a pool",
  "  buys (CPU time would add both workers up and miss child processes). Bytes per task and µs per",
  "  waiter are measured by the run itself.",
  "",
  "**The guard.** `npm run bench -- --check` (about 35 s per Node, current Node then Node 24) runs",
  "the key workloads at small sizes — spawn + gather, sleep(0), waitFor and timeout, Queue, Semaphore,",
  "Lock, bytes per parked task, debug mode ÷ debug off, tiny executor jobs — each in one process with",
  "its floor and a peer in alternating rounds, and compares every asyncio-ts ratio with",
  "`bench/budget.json` (per Node major: `ratio` and `tolerance`). The median over `ratio × (1 + tolerance)`",
  "is a REGRESSION (exit code 1); an upper quartile over it is a WARN. On Node 20 the guard's floor shares",
  "the library's process (ALS hooks on), so its ratios are the library's own cost above the Node 20",
  "tax. The guard's sizes are small (4k–20k tasks, not 100k), so its ratios are not the report's. Not run",
  "in CI (timings there are too noisy); run it before every resolve and put its table in the note.",
  "",
  "**Comparing two versions of the library.** `bench/ab/process.ts <A checkout> <B checkout> [rounds]",
  "[workloads] [-- node flags]` runs the same small workloads against two checkouts (a `git worktree`",
  "of the older commit, its node_modules a symlink), each run in a fresh process holding one copy of",
  "the library, A and B alternating with the order swapped every round; it reports the median of the",
  "per-round ratios B ÷ A and their range, in main-thread CPU where Node has `process.threadCpuUsage()`",
  "(the process clock also counts the collector's helper threads). `bench/ab.ts` is the quick",
  "in-process version (both copies in one heap, both context stores live: rougher).",
  "",
];

function escapeMd(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function markdown(input: ReportInput): string {
  const { workloads, runs } = input;
  const python = runs[0] as SuiteRun;
  const pyVersion = quiet(process.env["BENCH_PYTHON"] ?? "python3", ["--version"]);
  const commit = quiet("git", ["rev-parse", "--short", "HEAD"]);
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const lines: string[] = [];
  lines.push("# Benchmarks", "");
  lines.push(
    "Generated by `npm run bench -- --report` (bench/run.ts). JavaScript variants are measured side by",
    "side in alternating rounds (see Method below); \"÷ floor\" is the median of the per-round ratios,",
    "with their interquartile range in brackets. CPython variants are the scripts in `bench/python/`, run",
    "once and shared by both Node columns; \"÷ CPython\" divides medians. Ratios are value ÷ reference:",
    "below 1 is better than the hand-written floor (or CPython), above 1 is slower.",
    "",
    "**Read the ratios, not the seconds.** The machine has 2 cores and other work (test suites) may run",
    "beside the benchmark, so absolute times are noisy; the ratios are measured side by side in one run.",
    "",
    ...METHOD,
  );
  lines.push("## Machine and versions", "");
  lines.push(`- ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()}`);
  lines.push(`- ${runs.map((r) => `Node ${r.node}`).join(", ")}; ${pyVersion} (asyncio)`);
  lines.push(`- asyncio-ts at commit ${commit}; peers: ${peerVersions(input.root)}`);
  lines.push(`- run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${input.wallSeconds.toFixed(0)} s wall; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(" / ")} (1/5/15 min) on ${cpus().length} cores${runs[0]?.quick === true ? ", **--quick (small sizes, one run)**" : ""}`);
  lines.push("", "Reproduce: `npm ci && npm run bench -- --report` (installs node@24 into node_modules/.cache/node24 on first use).");
  lines.push("One workload: `npm run bench -- --only queue`; a smoke run: `npm run bench -- --quick`.", "");

  lines.push("## Targets", "", `| workload | target | ${runs.map((r) => `Node ${r.node}`).join(" | ")} |`, `|---|---|${runs.map(() => "---").join("|")}|`);
  for (const workload of workloads) {
    if (workload.target === undefined) continue;
    const verdicts = runs.map((run) => {
      const met = targetVerdict(workload, run, python);
      return met === undefined ? "n/a" : met ? "met" : "**not met**";
    });
    lines.push(`| ${workload.id} | ${escapeMd(workload.target.text)} | ${verdicts.join(" | ")} |`);
  }
  lines.push("", "![benchmark chart](benchmarks.svg)", "");

  lines.push("## Results", "");
  for (const workload of workloads) {
    const floor = workload.variants.find((v) => v.role === "floor")?.name;
    const cpython = workload.variants.find((v) => v.role === "cpython")?.name;
    lines.push(`### ${workload.id}: ${escapeMd(workload.title)}`, "");
    const head = ["variant", ...runs.flatMap((r) => [`Node ${r.node}`, "÷ floor", "÷ CPython"])];
    lines.push(`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
    for (const variant of reportRows(workload, runs)) {
      const cells = [variant.role === "asyncio-ts" ? `**${escapeMd(variant.name)}**` : escapeMd(variant.name)];
      for (const run of runs) {
        if (variant.python !== undefined && run !== python) {
          cells.push("(same)", "", "");
          continue;
        }
        const outcome = (variant.python !== undefined ? python : run).results[workload.id]?.[variant.name];
        const v = value(run, python, workload, variant.name);
        cells.push(
          escapeMd(formatCell(outcome, workload.unit, 80)),
          floor !== undefined ? escapeMd(floorRatio(outcome) || formatRatio(v, value(run, python, workload, floor))) : "",
          cpython !== undefined ? formatRatio(v, value(run, python, workload, cpython)) : "",
        );
      }
      lines.push(`| ${cells.join(" | ")} |`);
    }
    lines.push("");
  }
  lines.push(
    "## Notes",
    "",
    "- Floors are hand-written code with no library: `Promise.all` of async functions yielding with",
    "  `setImmediate`, a `setTimeout`/`clearTimeout` race, an array-plus-resolvers queue, a counter plus a",
    "  FIFO of resolvers for semaphore and lock, two bare `worker_threads`, single-thread time ÷ 2.",
    "- JavaScript peers yield with `setImmediate` where asyncio-ts uses `sleep(0)`, each in its own idiom.",
    "- Executor jobs compute the sum of squares of a range of integers in the worker: JavaScript doubles,",
    "  Python integers (arbitrary precision), so the large-job comparison with CPython is of idioms, not of",
    "  identical arithmetic.",
    "- Bytes per task: `process.memoryUsage().heapUsed` delta after a full GC (the floor and asyncio-ts);",
    "  `tracemalloc` delta for CPython. Both include the list/array holding the tasks.",
    "- The `als` workload is the gather floor with an AsyncLocalStorage (`als.run` per task, or enabled once):",
    "  on Node 20 an active ALS installs promise hooks that tax every promise; Node 24 propagates context",
    "  through AsyncContextFrame instead. The queue and semaphore workloads show the same tax on their own",
    "  floor (\"floor inside AsyncLocalStorage.run\") and on p-limit, so the Node 20 column can be read",
    "  against what any library that keeps a per-task context pays there.",
    "- Semaphore: the target compares like with like, the plain async functions variant with p-limit and",
    "  p-queue (which run plain functions); one task per job adds a cancellable Task to each job.",
    "- Wake-up cost: each measured run repeats the walk until 50,000 waiters have been woken (50 walks of",
    "  1k, one of 50k), with `Promise.all` set up and a full GC done before each walk, so the figure is",
    "  the wake-up path, not a GC landing in a millisecond-long window or the promotion of fresh waiters.",
    "",
  );
  // The targets not met and what was measured about why: written by hand, kept across regenerations.
  const why = join(input.root, "bench", "why.md");
  if (existsSync(why)) lines.push(readFileSync(why, "utf8").trimEnd(), "");
  return lines.join("\n");
}

function peerVersions(root: string): string {
  const names = ["effect", "effection", "p-limit", "p-queue", "async-mutex", "piscina", "tinypool", "workerpool"];
  return names
    .map((name) => {
      try {
        const pkg = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version?: string };
        return `${name} ${pkg.version ?? "?"}`;
      } catch {
        return `${name} ?`;
      }
    })
    .join(", ");
}


// ---------------------------------------------------------------- SVG chart

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f"]; // node (first), node (second), CPython

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * One panel per workload; one row per variant with a bar per Node version (CPython: one bar).
 * Bars are on a log scale within the panel, so a 30× slower peer does not flatten the rest;
 * each bar is labelled with its value.
 */
function svg(input: ReportInput): string {
  const { workloads, runs } = input;
  const python = runs[0] as SuiteRun;
  const width = 980;
  const labelW = 330;
  const barMax = 470;
  const barH = 9;
  const rowGap = 6;
  const parts: string[] = [];
  let y = 46;
  for (const workload of workloads) {
    const rows = workload.variants.map((variant) => {
      const bars = variant.python !== undefined ? [{ v: value(python, python, workload, variant.name), c: COLORS[2] as string }] : runs.map((run, i) => ({ v: value(run, python, workload, variant.name), c: COLORS[i] as string }));
      return { variant, bars };
    });
    const all = rows.flatMap((r) => r.bars.map((b) => b.v)).filter((v): v is number => v !== undefined && v > 0);
    if (all.length === 0) continue;
    const lo = Math.min(...all) / 2;
    const hi = Math.max(...all);
    const scale = (v: number): number => Math.max(2, (Math.log(v / lo) / Math.log(hi / lo)) * barMax);
    parts.push(`<text x="10" y="${y}" class="title">${escapeXml(`${workload.id}: ${workload.title}`)}</text>`);
    y += 10;
    for (const { variant, bars } of rows) {
      const h = bars.length * barH + rowGap;
      const weight = variant.role === "asyncio-ts" ? " font-weight=\"bold\"" : "";
      parts.push(`<text x="${labelW - 8}" y="${y + (bars.length * barH) / 2 + 4}" text-anchor="end"${weight}>${escapeXml(variant.name)}</text>`);
      bars.forEach((bar, i) => {
        const by = y + i * barH;
        if (bar.v === undefined) {
          parts.push(`<text x="${labelW + 2}" y="${by + barH - 1}" class="na">n/a</text>`);
          return;
        }
        const w = scale(bar.v);
        parts.push(`<rect x="${labelW}" y="${by}" width="${w.toFixed(1)}" height="${barH - 1}" fill="${bar.c}"/>`);
        parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${by + barH - 1}" class="v">${escapeXml(formatValue(bar.v, workload.unit))}</text>`);
      });
      y += h;
    }
    y += 16;
  }
  const legend = [...runs.map((r, i) => ({ text: `Node ${r.node}`, c: COLORS[i] as string })), { text: "CPython (asyncio)", c: COLORS[2] as string }]
    .map((l, i) => `<rect x="${10 + i * 170}" y="18" width="12" height="12" fill="${l.c}"/><text x="${28 + i * 170}" y="28">${escapeXml(l.text)}</text>`)
    .join("");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" viewBox="0 0 ${width} ${y + 10}" font-family="sans-serif" font-size="11">`,
    `<style>.title{font-weight:bold;font-size:12px}.v{font-size:10px;fill:#333}.na{font-size:10px;fill:#999}</style>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    legend,
    `<text x="${width - 10}" y="28" text-anchor="end" class="v">log scale per panel; shorter is better</text>`,
    ...parts,
    `</svg>`,
    "",
  ].join("\n");
}

/** Writes docs/benchmarks.md and docs/benchmarks.svg; returns their paths. */
export function writeReport(input: ReportInput): string[] {
  const dir = join(input.root, "docs");
  mkdirSync(dir, { recursive: true });
  const md = join(dir, "benchmarks.md");
  const chart = join(dir, "benchmarks.svg");
  writeFileSync(md, markdown(input));
  writeFileSync(chart, svg(input));
  return [md, chart];
}
