/**
 * One variant in a fresh process: node --import tsx bench/child.ts <workload> <variant> <n> <runs> <out.json>
 * Warm-up once at a smaller size, then `runs` measured runs with a full GC before each; writes
 * {"values": [...]} (or {"na"}/{"error"}) to out.json.
 */
import { writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { NotExported } from "./api.js";
import { workloads } from "./workloads/index.js";

const [workloadId, variantName, nText, runsText, outFile] = process.argv.slice(2);
if (outFile === undefined) throw new Error("usage: child.ts <workload> <variant> <n> <runs> <out.json>");

// gc() without `--expose-gc` on the command line: worker_threads reject that flag in the
// execArgv they inherit, so executor variants could not start workers.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
(globalThis as { gc?: () => void }).gc ??= gc;

function write(result: object): void {
  writeFileSync(outFile as string, JSON.stringify(result));
}

async function main(): Promise<void> {
  const workload = workloads.find((w) => w.id === workloadId);
  const variant = workload?.variants.find((v) => v.name === variantName);
  if (workload === undefined || variant?.make === undefined) throw new Error(`unknown variant ${workloadId}/${variantName}`);
  const scale = variant.scaleDown ?? 1;
  const n = Math.max(1, Math.round(Number(nText) / scale));
  const runs = Number(runsText);
  const instance = await variant.make();
  try {
    if (workload.warmup > 0) {
      await instance.run(Math.max(1, Math.round(n * workload.warmup)));
    }
    const values: number[] = [];
    for (let i = 0; i < runs; i++) {
      gc();
      gc();
      const t0 = performance.now();
      const measured = await instance.run(n);
      const elapsed = (performance.now() - t0) / 1000;
      values.push(typeof measured === "number" ? measured : elapsed * (workload.unit === "s" ? scale : 1));
    }
    write(scale === 1 ? { values } : { values, note: `measured at 1/${scale} size, scaled` });
  } finally {
    await instance.close?.();
  }
}

try {
  await main();
} catch (error) {
  if (error instanceof NotExported) write({ na: error.message });
  else write({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}
// Pools or stray handles of a failed variant must not keep the child alive.
process.exit(0);
