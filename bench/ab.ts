/**
 * In-process A/B of two checkouts of this library: the same workloads, alternating A and B in
 * one process (same heap settings, same JIT warm-up), CPU time per run, median of the per-round
 * ratios B/A and their spread. Quick, but the two copies share a heap and both context stores are
 * live (on Node 24 each context copy carries both): bench/ab/process.ts is the fairer judge.
 *
 *   git worktree add /tmp/base <commit>   (node_modules: a symlink to this checkout's)
 *   node --expose-gc --import tsx bench/ab.ts /tmp/base [rounds] [workload,workload,...]
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { cpuMs, median, workloads, type Lib } from "./ab/workloads.js";

const baseDir = process.argv[2];
if (baseDir === undefined) throw new Error("usage: bench/ab.ts <base checkout> [rounds] [workloads]");
const A = (await import(pathToFileURL(resolve(baseDir, "src/index.ts")).href)) as Lib;
const B = (await import("../src/index.js"));
const ROUNDS = Number(process.argv[3] ?? 9);
const only = process.argv[4]?.split(",");

for (const [name, w] of Object.entries(workloads)) {
  if (only && !only.includes(name)) continue;
  await w(A); await w(B); // warm-up
  const ratios: number[] = [], as: number[] = [], bs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const first = r % 2 === 0;
    const ta = first ? await cpuMs(() => w(A)) : 0; const tb = await cpuMs(() => w(B)); const ta2 = first ? ta : await cpuMs(() => w(A));
    as.push(ta2); bs.push(tb); ratios.push(tb / ta2);
  }
  const sorted = ratios.slice().sort((a, b) => a - b);
  console.log(`${name.padEnd(16)} old ${median(as).toFixed(0).padStart(5)} ms  new ${median(bs).toFixed(0).padStart(5)} ms  new/old median ${median(ratios).toFixed(3)}  [${sorted[0]!.toFixed(2)}..${sorted.at(-1)!.toFixed(2)}]`);
}
