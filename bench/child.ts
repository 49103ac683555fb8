/**
 * Variants of one workload in one process, measured in alternating rounds:
 *   node --import tsx bench/child.ts <workload> <["variant", ...]> <n> <rounds> <cpu|wall> <max seconds> <out.json>
 * Every variant is prepared, then warmed up (once at the workload's warm-up fraction, then one full
 * round that is thrown away). Then round after round each variant runs once at size n, a full GC
 * before each run; the order rotates by one every round (A B C, B C A, C A B, …) so no variant is
 * always the one that runs after another's garbage. A figure is the CPU time (process.cpuUsage:
 * every thread of this process, not other processes) or the wall time of the run, or what the run
 * returns itself (bytes per task, µs per waiter). Rounds stop early, never below 3, once
 * <max seconds> have passed. Writes {"byVariant": {name: {"values": [per round, null if it failed]}
 * | {"na"} | {"error"}}} to out.json after the warm-up and after every round.
 */
import { writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { NotExported } from "./api.js";
import type { Instance, Variant, Workload } from "./harness.js";
import { workloads } from "./workloads/index.js";

// gc() without `--expose-gc` on the command line: worker_threads reject that flag in the
// execArgv they inherit, so executor variants could not start workers.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
(globalThis as { gc?: () => void }).gc ??= gc;

const [workloadId, namesJson, nText, roundsText, clock, maxText, outFile] = process.argv.slice(2);
if (outFile === undefined) throw new Error("usage: child.ts <workload> <names-json> <n> <rounds> <cpu|wall> <max-s> <out.json>");

interface Result {
  values?: (number | null)[];
  note?: string;
  na?: string;
  error?: string;
}

interface Entry {
  variant: Variant;
  instance: Instance;
  n: number;
  scale: number;
  result: Result;
}

function failure(error: unknown): Result {
  if (error instanceof NotExported) return { na: error.message };
  return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/** One run at the entry's size: seconds (CPU or wall, scaled back to n) or the run's own figure. */
async function once(workload: Workload, entry: Entry): Promise<number> {
  gc();
  gc();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const measured = await entry.instance.run(entry.n);
  const wall = (performance.now() - t0) / 1000;
  const cpuUsed = process.cpuUsage(cpu0);
  if (typeof measured === "number") return measured;
  const seconds = clock === "wall" ? wall : (cpuUsed.user + cpuUsed.system) / 1e6;
  return seconds * (workload.unit === "s" ? entry.scale : 1);
}

const workload = workloads.find((w) => w.id === workloadId);
if (workload === undefined) throw new Error(`unknown workload ${workloadId}`);
const size = Number(nText);
const rounds = Number(roundsText);
const deadline = performance.now() + Number(maxText) * 1000;
const byVariant: Record<string, Result> = {};
const write = (): void => writeFileSync(outFile, JSON.stringify({ byVariant }));
const live: Entry[] = [];
/** Every instance made, failed ones too: each is closed at the end (a Redis variant's worker processes hold this process's stderr). */
const made: Instance[] = [];

for (const name of JSON.parse(namesJson ?? "[]") as string[]) {
  const variant = workload.variants.find((v) => v.name === name);
  try {
    if (variant?.make === undefined) throw new Error(`not a JavaScript variant: ${workloadId}/${name}`);
    const scale = variant.scaleDown ?? 1;
    const n = Math.max(1, Math.round(size / scale));
    const instance = await variant.make();
    made.push(instance);
    const result: Result = { values: [], ...(scale !== 1 ? { note: `measured at 1/${scale} size, scaled` } : {}) };
    const entry: Entry = { variant, instance, n, scale, result };
    if (workload.warmup > 0) await instance.run(Math.max(1, Math.round(n * workload.warmup)));
    live.push(entry);
    byVariant[name] = result;
  } catch (error) {
    byVariant[name] = failure(error);
  }
}
write();

/** Runs every live variant once, in an order rotated by `round`; drops (and reports) a variant that throws. */
async function round(index: number, keep: boolean): Promise<void> {
  const order = live.map((_, i) => live[(i + index) % live.length] as Entry);
  const values = new Map<Entry, number | null>();
  for (const entry of order) {
    try {
      values.set(entry, await once(workload as Workload, entry));
    } catch (error) {
      values.set(entry, null);
      Object.assign(entry.result, failure(error));
    }
  }
  if (keep) for (const entry of live) entry.result.values?.push(values.get(entry) ?? null);
  for (let i = live.length - 1; i >= 0; i--) if ((live[i] as Entry).result.error !== undefined) live.splice(i, 1);
}

await round(0, false); // the full-size warm-up round, thrown away
for (let r = 0; r < rounds && live.length > 0; r++) {
  await round(r, true);
  write();
  if (r >= 2 && performance.now() > deadline) break;
}
for (const instance of made) {
  try {
    await instance.close?.();
  } catch (error) {
    console.error(`closing a variant failed: ${String(error)}`);
  }
}
// Pools or stray handles of a failed variant must not keep the child alive.
process.exit(0);
