/** The workloads that the A/B tools run against two checkouts of this library (same code, two builds). */
export type Lib = typeof import("../../src/index.js");

export const workloads: Record<string, (L: Lib) => Promise<void>> = {
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

/**
 * CPU time of one run. Node 22.7+ has the main thread's own clock: the process clock also counts the
 * collector's concurrent helper threads, which nearly doubles a short workload's figure and its noise.
 */
const threadCpu = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
export async function cpuMs(fn: () => Promise<void>): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const clock = threadCpu === undefined ? () => process.cpuUsage() : () => threadCpu.call(process);
  const t = clock();
  await fn();
  const d = clock();
  return (d.user - t.user + d.system - t.system) / 1000;
}

export const median = (x: readonly number[]): number => x.slice().sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
