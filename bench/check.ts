/**
 * `npm run bench -- --check`: the regression guard. The key workloads at small sizes, each in one
 * process with its floor and peers in alternating rounds (bench/rounds.ts), every asyncio-ts ratio
 * compared with bench/budget.json (per Node major: expected ratio and tolerance). A ratio is a
 * REGRESSION when its median exceeds ratio × (1 + tolerance), a WARNING when only its spread (the
 * upper quartile of the per-round ratios) does. On Node < 24 the floor shares the process with the
 * library, so it runs with the library's AsyncLocalStorage promise hooks on: the ratios there are
 * the library's own cost over the Node 20 tax, which is what a guard of the library should watch.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR, formatValue, textTable, type Workload } from "./harness.js";
import { measureRounds, ratio } from "./rounds.js";
import { formatSpread, formatStat, type RatioStat } from "./stats.js";
import { workloads } from "./workloads/index.js";

/** One ratio of a case: `variant ÷ reference`; `key` names it in budget.json (peers: no budget). */
interface RatioSpec {
  key?: string;
  variant: string;
  reference: string;
}

interface Case {
  id: string;
  workload: string;
  n: number;
  rounds: number;
  ratios: RatioSpec[];
}

const GATHER_FLOOR = "floor: Promise.all + setImmediate";
const GATHER = "asyncio-ts gather(createTask…)";
const SEM_FLOOR = "floor: counter + resolver FIFO";

const CASES: Case[] = [
  {
    id: "gather",
    workload: "gather",
    n: 10_000,
    rounds: 21,
    ratios: [
      { key: "gather", variant: GATHER, reference: GATHER_FLOOR },
      { variant: "Effect forEach unbounded + yieldNow", reference: GATHER_FLOOR },
    ],
  },
  {
    id: "debug",
    workload: "gather",
    n: 5_000,
    rounds: 11,
    ratios: [{ key: "debug", variant: "asyncio-ts gather(createTask…), debug mode on", reference: GATHER }],
  },
  {
    id: "sleep0",
    workload: "waitfor",
    n: 10_000,
    rounds: 21,
    ratios: [{ key: "sleep0", variant: "asyncio-ts bare sleep(0) (no timeout)", reference: "floor: bare setImmediate yield (no timeout)" }],
  },
  {
    id: "waitfor",
    workload: "waitfor",
    n: 5_000,
    rounds: 21,
    ratios: [
      { key: "waitFor", variant: "asyncio-ts waitFor(fn, 10)", reference: "floor: setTimeout/clearTimeout race" },
      { key: "timeout", variant: "asyncio-ts timeout(10, fn)", reference: "floor: setTimeout/clearTimeout race" },
    ],
  },
  {
    id: "queue",
    workload: "queue",
    n: 20_000,
    rounds: 21,
    ratios: [
      { key: "queue", variant: "asyncio-ts Queue(100)", reference: "floor: array + resolvers" },
      { variant: "Effect Queue.bounded(100)", reference: "floor: array + resolvers" },
    ],
  },
  {
    id: "semaphore",
    workload: "semaphore",
    n: 10_000,
    rounds: 21,
    ratios: [
      { key: "semaphore", variant: "asyncio-ts Semaphore, plain async fns", reference: SEM_FLOOR },
      { key: "semaphore-tasks", variant: "asyncio-ts Semaphore, one task per job", reference: SEM_FLOOR },
      { variant: "p-limit(10)", reference: SEM_FLOOR },
    ],
  },
  {
    id: "lock",
    workload: "lock",
    n: 4_000, // 100 tasks × 40; the 1/20 warm-up is then 100 × 2 (whole increments per task)
    rounds: 21,
    ratios: [
      { key: "lock", variant: "asyncio-ts Lock", reference: "floor: hand-written FIFO lock" },
      { variant: "async-mutex Mutex", reference: "floor: hand-written FIFO lock" },
    ],
  },
  {
    id: "memory",
    workload: "memory",
    n: 10_000,
    rounds: 5,
    ratios: [{ key: "memory", variant: "asyncio-ts createTask + Event.wait", reference: "floor: async fn awaiting one promise" }],
  },
  {
    id: "exec-tiny",
    workload: "exec-tiny",
    n: 2_000,
    rounds: 11,
    ratios: [
      { key: "exec-tiny", variant: "asyncio-ts ThreadPoolExecutor (fromModule)", reference: "floor: 2 raw worker_threads" },
      { variant: "piscina", reference: "floor: 2 raw worker_threads" },
    ],
  },
];

/** Seconds a case's process may spend adding rounds (the whole check stays under a minute per Node). */
const MAX_SECONDS = 5;

/** One ratio as measured by a check run. */
export interface CheckRow {
  case: string;
  key?: string;
  variant: string;
  reference: string;
  /** The variant's median figure (seconds, B/task, …) and unit. */
  value?: string;
  stat?: RatioStat;
  error?: string;
}

export interface CheckRun {
  node: string;
  rows: CheckRow[];
}

export async function runCheck(): Promise<CheckRun> {
  const rows: CheckRow[] = [];
  for (const spec of CASES) {
    const workload = workloads.find((w) => w.id === spec.workload) as Workload;
    const names = new Set(spec.ratios.flatMap((r) => [r.reference, r.variant]));
    const variants = workload.variants.filter((v) => names.has(v.name));
    const t0 = performance.now();
    const measured = await measureRounds(workload, variants, { n: spec.n, rounds: spec.rounds, maxSeconds: MAX_SECONDS, splitAls: false });
    const rounds = Math.max(...[...measured.series.values()].map((s) => s.perProcess[0]?.length ?? 0), 0);
    console.log(`  ${spec.id.padEnd(10)} n=${spec.n}  ${rounds} rounds  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const r of spec.ratios) {
      const outcome = measured.outcomes[r.variant];
      const stat = ratio(measured, r.variant, r.reference);
      rows.push({
        case: spec.id,
        ...(r.key !== undefined ? { key: r.key } : {}),
        variant: r.variant,
        reference: r.reference,
        ...(outcome?.kind === "ok" ? { value: formatValue(outcome.median, workload.unit) } : {}),
        ...(stat !== undefined ? { stat } : { error: outcome?.kind === "ok" ? "no ratio" : (outcome?.reason ?? "not measured") }),
      });
    }
  }
  return { node: process.version, rows };
}

interface BudgetEntry {
  ratio: number;
  tolerance: number;
}

/** budget.json: by Node major ("node20", "node24"), by ratio key; "about" is prose. */
type Budget = Record<string, Record<string, BudgetEntry>>;

export function loadBudget(): Budget {
  return JSON.parse(readFileSync(join(BENCH_DIR, "budget.json"), "utf8")) as Budget;
}

function runtimeKey(node: string): string {
  return `node${node.replace(/^v/, "").split(".")[0]}`;
}

type Verdict = "ok" | "WARN" | "REGRESSION" | "no budget" | "ERROR" | "";

function judge(row: CheckRow, entry: BudgetEntry | undefined): Verdict {
  if (row.key === undefined) return "";
  if (row.stat === undefined) return "ERROR";
  if (entry === undefined) return "no budget";
  const limit = entry.ratio * (1 + entry.tolerance);
  if (row.stat.median > limit) return "REGRESSION";
  return row.stat.q3 > limit ? "WARN" : "ok";
}

/** Prints one table per Node run; returns how many budgeted ratios regressed (or failed). */
export function printCheck(runs: CheckRun[], budget: Budget): number {
  let failed = 0;
  for (const run of runs) {
    const mine = budget[runtimeKey(run.node)] ?? {};
    const rows = run.rows.map((row) => {
      const entry = row.key !== undefined ? mine[row.key] : undefined;
      const verdict = judge(row, entry);
      if (verdict === "REGRESSION" || verdict === "ERROR") failed++;
      return [
        row.case,
        `${row.variant} ÷ ${row.reference.replace(/^floor: .*/, "floor")}`,
        row.value ?? "",
        row.error !== undefined ? `error: ${row.error.slice(0, 50)}` : formatStat(row.stat),
        formatSpread(row.stat),
        entry !== undefined ? `${entry.ratio.toFixed(2)}× +${Math.round(entry.tolerance * 100)}% = ${(entry.ratio * (1 + entry.tolerance)).toFixed(2)}×` : "",
        verdict,
      ];
    });
    console.log(`\n--check on node ${run.node} (CPU time, executors wall time; median of per-round ratios, spread = interquartile range)`);
    console.log(textTable(["workload", "variant ÷ reference", "median", "ratio", "spread", "budget", "verdict"], rows));
  }
  return failed;
}
