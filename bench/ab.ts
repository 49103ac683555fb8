/**
 * In-process A/B of two checkouts of this library: the same workloads, alternating A and B in
 * one process (same heap settings, same JIT warm-up), CPU time per run (less disturbed by other
 * processes than wall time), median of the per-round ratios B/A and their spread.
 *
 *   git worktree add /tmp/base <commit>   (node_modules: a symlink to this checkout's)
 *   node --expose-gc --import tsx bench/ab.ts /tmp/base [rounds] [workload,workload,...]
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

type Lib = typeof import("../src/index.js");
const baseDir = process.argv[2];
if (baseDir === undefined) throw new Error("usage: bench/ab.ts <base checkout> [rounds] [workloads]");
const A = (await import(pathToFileURL(resolve(baseDir, "src/index.ts")).href)) as Lib;
const B = (await import("../src/index.js"));
const ROUNDS = Number(process.argv[3] ?? 9);
const only = process.argv[4]?.split(",");

const workloads: Record<string, (L: Lib) => Promise<void>> = {
  gather: (L) => L.run(async () => { const ts = []; for (let i = 0; i < 20000; i++) ts.push(L.createTask(() => L.sleep(0))); await L.gather(...ts); }),
  promiseAllTasks: (L) => L.run(async () => { const ts = []; for (let i = 0; i < 20000; i++) ts.push(L.createTask(() => L.sleep(0))); await Promise.all(ts); }),
  waitFor: (L) => L.run(async () => { for (let i = 0; i < 20000; i++) await L.waitFor(() => L.sleep(0), 10); }),
  timeout: (L) => L.run(async () => { for (let i = 0; i < 20000; i++) await L.timeout(10, () => L.sleep(0)); }),
  sleep0: (L) => L.run(async () => { for (let i = 0; i < 20000; i++) await L.sleep(0); }),
  queue: (L) => L.run(async () => {
    const q = new L.Queue<number>(100); const N = 50000;
    const cons = Array.from({ length: 4 }, () => L.createTask(async () => { for (;;) { await q.get(); q.taskDone(); } }));
    for (let i = 0; i < N; i++) await q.put(i);
    await q.join(); for (const c of cons) c.cancel();
  }),
  semPlain: (L) => L.run(async () => {
    const sem = new L.Semaphore(10);
    await Promise.all(Array.from({ length: 30000 }, async () => { const g = await sem.acquire(); try { await L.sleep(0); } finally { g.release(); } }));
  }),
  semTasks: (L) => L.run(async () => {
    const sem = new L.Semaphore(10);
    await L.gather(...Array.from({ length: 20000 }, () => async () => { const g = await sem.acquire(); try { await L.sleep(0); } finally { g.release(); } }));
  }),
  awaitFuture: (L) => L.run(async () => { for (let i = 0; i < 50000; i++) { const f = new L.Future<number>(); L.getRunningLoop().callSoon(() => f.setResult(i)); await f; } }),
  lock: (L) => L.run(async () => {
    const lock = new L.Lock();
    await L.gather(...Array.from({ length: 50 }, () => async () => { for (let i = 0; i < 400; i++) { const g = await lock.acquire(); try { await L.sleep(0); } finally { g.release(); } } }));
  }),
};
async function time(fn: () => Promise<void>): Promise<number> { (globalThis as { gc?: () => void }).gc?.(); const t = process.cpuUsage(); await fn(); const d = process.cpuUsage(t); return (d.user + d.system) / 1000; }
for (const [name, w] of Object.entries(workloads)) {
  if (only && !only.includes(name)) continue;
  await w(A); await w(B); // warm-up
  const ratios: number[] = [], as: number[] = [], bs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const first = r % 2 === 0;
    const ta = first ? await time(() => w(A)) : 0; const tb = await time(() => w(B)); const ta2 = first ? ta : await time(() => w(A));
    as.push(ta2); bs.push(tb); ratios.push(tb / ta2);
  }
  const med = (x: number[]) => x.slice().sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
  const sorted = ratios.slice().sort((a, b) => a - b);
  console.log(`${name.padEnd(16)} old ${med(as).toFixed(0).padStart(5)} ms  new ${med(bs).toFixed(0).padStart(5)} ms  new/old median ${med(ratios).toFixed(3)}  [${sorted[0]!.toFixed(2)}..${sorted.at(-1)!.toFixed(2)}]`);
}
