/**
 * A tiny benchmark harness: the shapes of workloads and variants (the hand-written floor,
 * asyncio-ts, the JavaScript peers, CPython), child processes, CPython scripts and formatting.
 * How JavaScript variants are measured (alternating rounds in one process, or alternating
 * processes) is bench/rounds.ts; each CPython variant is a script in bench/python/ (warm-up, a few
 * runs, JSON on stdout).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, type RatioStat } from "./stats.js";

export const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));

/** One prepared variant: `run(n)` does the work once; it may return its own measurement. */
export interface Instance {
  run(n: number): Promise<number | void>;
  close?(): Promise<void> | void;
}

export type Role = "floor" | "asyncio-ts" | "peer" | "cpython";

export interface Variant {
  name: string;
  role: Role;
  /** JavaScript variants: prepares an instance (imports, pools) in the child process. */
  make?: () => Promise<Instance>;
  /** CPython variants: script in bench/python/ and extra arguments after `n runs`. */
  python?: { script: string; args?: string[] };
  /** Measured runs override (e.g. 1 for a slow peer); the warm-up still happens. */
  runs?: number;
  /** Size override for this variant (a slow peer measured at a smaller size, scaled linearly). */
  scaleDown?: number;
  /**
   * Uses an AsyncLocalStorage (asyncio-ts variants always do): on Node 20 that turns on promise
   * hooks for the whole process, so such a variant does not share a process with a clean floor.
   */
  als?: boolean;
}

export type Unit = "s" | "B/task" | "µs/waiter";

/** The figures of one run of the suite, by workload id and variant name. */
export type Lookup = (workload: string, variant: string) => number | undefined;

export interface Target {
  text: string;
  /** true = met, false = missed, undefined = cannot tell (a figure is missing). */
  check(get: Lookup): boolean | undefined;
}

export interface Workload {
  id: string;
  title: string;
  unit: Unit;
  /** Problem size for a full run and for `--quick`. */
  n: number;
  quickN: number;
  /** Measured runs per variant in a full run (`--quick` does 1); the rounds default to at least 9. */
  runs: number;
  /** Alternating rounds in a full run (default max(9, runs)). */
  rounds?: number;
  /** What a run's seconds are: CPU time of the process (default) or wall time (executors). */
  clock?: "cpu" | "wall";
  /** Every variant needs a process of its own: processes alternate A B A B instead of rounds. */
  isolate?: boolean;
  /** Warm-up size as a fraction of n (0 = no warm-up). */
  warmup: number;
  variants: Variant[];
  target?: Target;
  /** Seconds before a child is killed and reported as timed out. */
  timeoutS?: number;
}

/** What a variant produced. `values` are the measured runs (already scaled to n). */
export type Outcome =
  | { kind: "ok"; values: number[]; median: number; note?: string; vsFloor?: RatioStat }
  | { kind: "na"; reason: string }
  | { kind: "error"; reason: string };

export { median };

/** What a child process reports for one variant: a figure per round (null: that round failed). */
export interface ChildResult {
  values?: (number | null)[];
  na?: string;
  error?: string;
  note?: string;
  /** A bench/child.ts process: one result per variant. */
  byVariant?: Record<string, ChildResult>;
}

export function runProcess(
  command: string,
  args: string[],
  timeoutS: number,
  outFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd: join(BENCH_DIR, ".."), env });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        resolve({ error: `timed out after ${timeoutS} s` });
        return;
      }
      let text: string;
      try {
        text = readFileSync(outFile, "utf8");
      } catch {
        // No result file: fall back to stdout (the Python scripts print their JSON).
        text = stdout.trim().split("\n").at(-1) ?? "";
      }
      try {
        resolve(JSON.parse(text) as ChildResult);
      } catch {
        const why = stderr.trim().split("\n").slice(-3).join(" | ") || `exit ${code ?? signal}`;
        resolve({ error: why.slice(0, 300) });
      }
    });
  });
}

export interface RunSettings {
  quick: boolean;
  python: string;
}

export function summarise(result: ChildResult | undefined): Outcome {
  if (result === undefined) return { kind: "error", reason: "no result (the process died before this variant ran)" };
  if (result.na !== undefined) return { kind: "na", reason: result.na };
  if (result.error !== undefined) return { kind: "error", reason: result.error };
  const values = (result.values ?? []).filter((v): v is number => v !== null);
  if (values.length === 0) return { kind: "error", reason: "no measurement" };
  return { kind: "ok", values, median: median(values), ...(result.note !== undefined ? { note: result.note } : {}) };
}

/** A CPython variant: its script in bench/python/ (warm-up, `runs` measured runs, JSON on stdout). */
export async function runPython(workload: Workload, variant: Variant, settings: RunSettings): Promise<Outcome> {
  if (variant.python === undefined) return { kind: "error", reason: "not a CPython variant" };
  const n = settings.quick ? workload.quickN : workload.n;
  const runs = settings.quick ? 1 : (variant.runs ?? workload.runs);
  const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-bench-"));
  try {
    const script = join(BENCH_DIR, "python", variant.python.script);
    const args = [script, String(n), String(runs), String(workload.warmup), ...(variant.python.args ?? [])];
    // The same clock as the JavaScript variants: CPU time of the process, or wall time for executors.
    const env = { ...process.env, BENCH_CLOCK: workload.clock ?? "cpu" };
    return summarise(await runProcess(settings.python, args, workload.timeoutS ?? 120, join(dir, "result.json"), env));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- formatting

export function formatValue(value: number, unit: Unit): string {
  if (unit === "s") {
    if (value >= 10) return `${value.toFixed(1)} s`;
    if (value >= 1) return `${value.toFixed(2)} s`;
    if (value >= 0.01) return `${(value * 1000).toFixed(0)} ms`;
    return `${(value * 1000).toFixed(1)} ms`;
  }
  if (unit === "B/task") return `${value.toFixed(0)} B/task`;
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} µs/waiter`;
}

export function formatRatio(value: number | undefined, reference: number | undefined): string {
  if (value === undefined || reference === undefined || !(reference > 0)) return "";
  const r = value / reference;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

export function formatOutcome(outcome: Outcome | undefined, unit: Unit): string {
  if (outcome === undefined) return "—";
  if (outcome.kind === "ok") return formatValue(outcome.median, unit) + (outcome.note !== undefined ? ` (${outcome.note})` : "");
  if (outcome.kind === "na") return outcome.reason.startsWith("not exported") ? "n/a (not exported)" : `n/a (${outcome.reason})`;
  return `error: ${outcome.reason}`;
}

/** As formatOutcome, with long error messages cut for a table cell. */
export function formatCell(outcome: Outcome | undefined, unit: Unit, max = 60): string {
  const text = formatOutcome(outcome, unit);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A plain-text table with aligned columns (the first column left-aligned, the rest right). */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
