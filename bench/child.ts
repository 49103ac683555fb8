/**
 * Variants of one workload in a fresh process:
 *   node --import tsx bench/child.ts <workload> <["variant", ...]> <n> <runs or ""> <out.json>
 * Each variant: warm-up once at a smaller size, then its measured runs with a full GC before
 * each. Writes {"byVariant": {name: {"values": [...]} | {"na"} | {"error"}}} to out.json after
 * every variant, so a crash loses only the variant that crashed.
 */
import { writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { NotExported } from "./api.js";
import type { Variant, Workload } from "./harness.js";
import { workloads } from "./workloads/index.js";

// gc() without `--expose-gc` on the command line: worker_threads reject that flag in the
// execArgv they inherit, so executor variants could not start workers.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
(globalThis as { gc?: () => void }).gc ??= gc;

const [workloadId, namesJson, nText, runsText, outFile] = process.argv.slice(2);
if (outFile === undefined) throw new Error("usage: child.ts <workload> <names-json> <n> <runs> <out.json>");

interface Result {
  values?: number[];
  note?: string;
  na?: string;
  error?: string;
}

async function measure(workload: Workload, variant: Variant, size: number): Promise<Result> {
  if (variant.make === undefined) return { error: "not a JavaScript variant" };
  const scale = variant.scaleDown ?? 1;
  const n = Math.max(1, Math.round(size / scale));
  const runs = runsText === "" || runsText === undefined ? (variant.runs ?? workload.runs) : Number(runsText);
  const instance = await variant.make();
  try {
    if (workload.warmup > 0) await instance.run(Math.max(1, Math.round(n * workload.warmup)));
    const values: number[] = [];
    for (let i = 0; i < runs; i++) {
      gc();
      gc();
      const t0 = performance.now();
      const measured = await instance.run(n);
      const elapsed = (performance.now() - t0) / 1000;
      values.push(typeof measured === "number" ? measured : elapsed * (workload.unit === "s" ? scale : 1));
    }
    return scale === 1 ? { values } : { values, note: `measured at 1/${scale} size, scaled` };
  } finally {
    await instance.close?.();
  }
}

const byVariant: Record<string, Result> = {};
const workload = workloads.find((w) => w.id === workloadId);
if (workload === undefined) throw new Error(`unknown workload ${workloadId}`);
for (const name of JSON.parse(namesJson ?? "[]") as string[]) {
  const variant = workload.variants.find((v) => v.name === name);
  try {
    if (variant === undefined) throw new Error(`unknown variant ${workloadId}/${name}`);
    byVariant[name] = await measure(workload, variant, Number(nText));
  } catch (error) {
    byVariant[name] =
      error instanceof NotExported ? { na: error.message } : { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  writeFileSync(outFile, JSON.stringify({ byVariant }));
}
// Pools or stray handles of a failed variant must not keep the child alive.
process.exit(0);
