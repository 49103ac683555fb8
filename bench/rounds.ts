/**
 * The method: a workload's JavaScript variants measured side by side, so that their ratios hold
 * still on a shared, noisy machine.
 *
 * - Variants that can share a process run in ONE child (bench/child.ts) in alternating rounds
 *   (A B C, B C A, …: same heap settings, same JIT warm-up, a full GC before every run); a ratio
 *   is the median of the per-round ratios, its spread their interquartile range.
 * - Variants that cannot (a workload marked `isolate`; on Node < 24 the ones that turn on an
 *   AsyncLocalStorage — every asyncio-ts variant — which taxes every promise of the process, so
 *   the clean floor and its peers must not share their process) run in alternating processes,
 *   group A, group B, group A, group B, …; a cross-group ratio is then the median over process
 *   pairs of the ratio of their medians. On Node < 24 the floor is run in the asyncio-ts process
 *   too, as "<floor> [same process, ALS hooks on]", so both ratios are shown.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, runProcess, summarise, type ChildResult, type Outcome, type Variant, type Workload } from "./harness.js";
import { median, ratioStat, type RatioStat } from "./stats.js";

export const ALS_SPLIT = Number(process.versions.node.split(".")[0]) < 24;
export const SAME_PROCESS_SUFFIX = " [same process, ALS hooks on]";

export interface RoundsOptions {
  n: number;
  /** Rounds per process. */
  rounds: number;
  /** Processes per group (alternating); 1 when every variant shares one process. */
  processes?: number;
  /** A process stops adding rounds after this many seconds (never below 3 rounds). */
  maxSeconds: number;
  /** On Node < 24, keep the clean floor in a process of its own (else it runs with ALS hooks on). */
  splitAls: boolean;
}

/** A variant's figures: per process, per round (null where a round failed). */
interface Series {
  group: number;
  perProcess: (number | null)[][];
}

export interface Measured {
  outcomes: Record<string, Outcome>;
  series: Map<string, Series>;
  /** One line saying how these figures were taken. */
  method: string;
}

function taints(variant: Variant): boolean {
  return variant.role === "asyncio-ts" || variant.als === true;
}

/** Which variants share a process: one group, or several that alternate processes. */
export function processGroups(workload: Workload, variants: Variant[], splitAls: boolean): Variant[][] {
  if (workload.isolate === true) return variants.map((v) => [v]);
  if (!splitAls || !ALS_SPLIT) return [variants];
  const clean = variants.filter((v) => !taints(v));
  const tainted = variants.filter(taints);
  if (clean.length === 0 || tainted.length === 0) return [variants];
  const floor = clean.find((v) => v.role === "floor");
  return [clean, floor !== undefined ? [floor, ...tainted] : tainted];
}

/** The name a variant's figures are filed under: the floor in a tainted group gets a suffix. */
function displayName(variant: Variant, group: number): string {
  return group > 0 && variant.role === "floor" ? variant.name + SAME_PROCESS_SUFFIX : variant.name;
}

/** A child's figures by variant; `error` when the process itself failed (timeout, crash). */
async function runChild(workload: Workload, names: string[], options: RoundsOptions): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-bench-"));
  const outFile = join(dir, "result.json");
  const clock = workload.clock ?? "cpu";
  const args = ["--import", "tsx", join(BENCH_DIR, "child.ts"), workload.id, JSON.stringify(names), String(options.n), String(options.rounds), clock, String(options.maxSeconds), outFile];
  const timeoutS = options.maxSeconds * 2 + (workload.timeoutS ?? 120);
  try {
    return await runProcess(process.execPath, args, timeoutS, outFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median of a ratio: per round within one process, per process pair across processes. */
export function ratio(measured: Measured, name: string, reference: string): RatioStat | undefined {
  const a = measured.series.get(name);
  const b = measured.series.get(reference);
  if (a === undefined || b === undefined) return undefined;
  const ratios: number[] = [];
  const pairs = Math.min(a.perProcess.length, b.perProcess.length);
  if (a.group === b.group) {
    for (let p = 0; p < pairs; p++) {
      const xs = a.perProcess[p] ?? [];
      const ys = b.perProcess[p] ?? [];
      for (let r = 0; r < Math.min(xs.length, ys.length); r++) {
        const x = xs[r];
        const y = ys[r];
        if (x != null && y != null) ratios.push(x / y);
      }
    }
    return ratioStat(ratios, "rounds");
  }
  for (let p = 0; p < pairs; p++) {
    const xs = (a.perProcess[p] ?? []).filter((v): v is number => v !== null);
    const ys = (b.perProcess[p] ?? []).filter((v): v is number => v !== null);
    if (xs.length > 0 && ys.length > 0) ratios.push(median(xs) / median(ys));
  }
  return ratioStat(ratios, "processes");
}

/** Measures `variants` (JavaScript ones) of `workload`; outcomes carry their ratio to the floor. */
export async function measureRounds(workload: Workload, variants: Variant[], options: RoundsOptions): Promise<Measured> {
  const groups = processGroups(workload, variants, options.splitAls);
  const processes = groups.length > 1 ? Math.max(2, options.processes ?? 3) : 1;
  const series = new Map<string, Series>();
  const failures = new Map<string, ChildResult>();
  const notes = new Map<string, string>();
  for (let p = 0; p < processes; p++) {
    for (const [g, group] of groups.entries()) {
      const results = await runChild(workload, group.map((v) => v.name), options);
      for (const variant of group) {
        const name = displayName(variant, g);
        const got = results.byVariant?.[variant.name] ?? (results.error !== undefined ? results : undefined);
        if (got?.values === undefined || got.error !== undefined || got.na !== undefined) {
          failures.set(name, got ?? { error: "no result (the process died before this variant ran)" });
          continue;
        }
        if (got.note !== undefined) notes.set(name, got.note);
        const entry = series.get(name) ?? { group: g, perProcess: [] };
        entry.perProcess[p] = got.values;
        series.set(name, entry);
      }
    }
  }
  const measured: Measured = { outcomes: {}, series, method: "" };
  const floor = variants.find((v) => v.role === "floor")?.name;
  const order = groups.flatMap((group, g) => group.map((v) => displayName(v, g)));
  for (const name of order) {
    const entry = series.get(name);
    const failed = failures.get(name);
    if (failed !== undefined || entry === undefined) {
      measured.outcomes[name] = summarise(failed);
      continue;
    }
    const outcome = summarise({ values: entry.perProcess.flat(), ...(notes.has(name) ? { note: notes.get(name) as string } : {}) });
    const vsFloor = floor !== undefined ? ratio(measured, name, floor) : undefined;
    measured.outcomes[name] = outcome.kind === "ok" && vsFloor !== undefined ? { ...outcome, vsFloor } : outcome;
  }
  const clock = workload.clock === "wall" ? "wall time" : "CPU time";
  measured.method =
    groups.length === 1
      ? `one process, ${options.rounds} alternating rounds (at most), ${clock}`
      : `${groups.length} groups in alternating processes (${processes} each), ${options.rounds} rounds per process, ${clock}`;
  return measured;
}
