/** Issue 4's executor workloads: many tiny jobs (dispatch overhead) and a few large ones (scaling). */
import { Worker } from "node:worker_threads";
import { need, type ExecutorLike } from "../api.js";
import type { Instance, Variant, Workload } from "../harness.js";
import { sumSquares } from "../workers/sumsq.js";

const WORKERS = 2;
const TINY = 100;
const LARGE_JOBS = 8;
const JOB_FILE = new URL("../workers/sumsq.js", import.meta.url);

/** A job's arguments: job i of `count` numbers. */
function job(i: number, count: number): { start: number; count: number } {
  return { start: (i % 1000) * count, count };
}

/** The three shapes a workload takes: `jobs` jobs of `count` numbers each. */
type Shape = (n: number) => { jobs: number; count: number };
const tinyShape: Shape = (n) => ({ jobs: n, count: TINY });
const largeShape: Shape = (n) => ({ jobs: LARGE_JOBS, count: n });

/** A pool that takes (start, count) and returns a promise of the sum. */
type Submit = (start: number, count: number) => PromiseLike<unknown>;

function pooled(shape: Shape, open: () => Promise<{ submit: Submit; close: () => Promise<unknown> }>): () => Promise<Instance> {
  return async () => {
    const pool = await open();
    return {
      run: async (n: number) => {
        const { jobs, count } = shape(n);
        const pending = new Array<PromiseLike<unknown>>(jobs);
        for (let i = 0; i < jobs; i++) {
          const { start } = job(i, count);
          pending[i] = pool.submit(start, count);
        }
        const results = await Promise.all(pending);
        if (results.length !== jobs || typeof results[0] !== "number") throw new Error("bad results");
      },
      close: async () => {
        await pool.close();
      },
    };
  };
}

/** The floor for tiny jobs: two bare worker_threads, jobs posted round-robin, replies matched by id. */
function rawWorkers(): Promise<{ submit: Submit; close: () => Promise<unknown> }> {
  const workers = Array.from({ length: WORKERS }, () => new Worker(new URL("../workers/raw-sumsq.js", import.meta.url)));
  const pending = new Map<number, (value: number) => void>();
  for (const worker of workers) {
    worker.on("message", ({ id, value }: { id: number; value: number }) => {
      const resolve = pending.get(id);
      pending.delete(id);
      resolve?.(value);
    });
  }
  let nextId = 0;
  return Promise.resolve({
    submit: (start: number, count: number) => {
      const id = nextId++;
      const promise = new Promise<number>((resolve) => pending.set(id, resolve));
      (workers[id % WORKERS] as Worker).postMessage({ id, start, count });
      return promise;
    },
    close: () => Promise.all(workers.map((w) => w.terminate())),
  });
}

function asyncioPool(kind: "ThreadPoolExecutor" | "ProcessPoolExecutor", form: "module" | "source"): () => Promise<{ submit: Submit; close: () => Promise<unknown> }> {
  return async () => {
    const lib = await need("run", kind, ...(form === "module" ? (["fromModule"] as const) : []));
    const executor: ExecutorLike = new lib[kind]({ maxWorkers: WORKERS });
    const fn =
      form === "module"
        ? (lib as { fromModule: (url: URL, name: string) => unknown }).fromModule(JOB_FILE, "sumSquares")
        : (start: number, count: number): number => {
            let sum = 0;
            for (let x = start; x < start + count; x++) sum += x * x;
            return sum;
          };
    return {
      submit: (start, count) => executor.submit(fn, start, count),
      close: async () => {
        await executor.shutdown({ wait: true });
      },
    };
  };
}

async function piscinaPool(): Promise<{ submit: Submit; close: () => Promise<unknown> }> {
  const { Piscina } = await import("piscina");
  const pool = new Piscina({ filename: JOB_FILE.href, minThreads: WORKERS, maxThreads: WORKERS });
  return { submit: (start, count) => pool.run({ start, count }), close: () => pool.destroy() };
}

async function tinypoolPool(): Promise<{ submit: Submit; close: () => Promise<unknown> }> {
  const { Tinypool } = await import("tinypool");
  const pool = new Tinypool({ filename: JOB_FILE.href, minThreads: WORKERS, maxThreads: WORKERS });
  return { submit: (start, count) => pool.run({ start, count }), close: () => pool.destroy() };
}

async function workerpoolPool(): Promise<{ submit: Submit; close: () => Promise<unknown> }> {
  const { default: workerpool } = await import("workerpool");
  const script = new URL("../workers/workerpool-sumsq.js", import.meta.url);
  const pool = workerpool.pool(script.pathname, { minWorkers: WORKERS, maxWorkers: WORKERS, workerType: "thread" });
  return {
    submit: (start, count) => pool.exec("sumSquares", [start, count]),
    close: async () => {
      await pool.terminate();
    },
  };
}

function executorVariants(shape: Shape, extra: Variant[]): Variant[] {
  return [
    ...extra,
    { name: "asyncio-ts ThreadPoolExecutor (fromModule)", role: "asyncio-ts", make: pooled(shape, asyncioPool("ThreadPoolExecutor", "module")) },
    { name: "asyncio-ts ThreadPoolExecutor (fn source)", role: "asyncio-ts", make: pooled(shape, asyncioPool("ThreadPoolExecutor", "source")) },
    { name: "asyncio-ts ProcessPoolExecutor (fromModule)", role: "asyncio-ts", make: pooled(shape, asyncioPool("ProcessPoolExecutor", "module")) },
    { name: "piscina", role: "peer", make: pooled(shape, piscinaPool) },
  ];
}

export const tinyJobsWorkload: Workload = {
  id: "exec-tiny",
  clock: "wall", // work runs in other threads and processes: elapsed time is what a pool buys
  title: "executors: 20k tiny jobs (sum of squares of 100 numbers) on 2 workers",
  unit: "s",
  n: 20_000,
  quickN: 2_000,
  runs: 3,
  warmup: 0.05,
  target: {
    text: "asyncio-ts ThreadPoolExecutor at least piscina's throughput",
    check: (get) => {
      const lib = get("exec-tiny", "asyncio-ts ThreadPoolExecutor (fromModule)");
      const peer = get("exec-tiny", "piscina");
      return lib === undefined || peer === undefined ? undefined : lib <= peer;
    },
  },
  variants: [
    ...executorVariants(tinyShape, [{ name: "floor: 2 raw worker_threads", role: "floor", make: pooled(tinyShape, rawWorkers) }]),
    { name: "tinypool", role: "peer", make: pooled(tinyShape, tinypoolPool) },
    { name: "workerpool", role: "peer", make: pooled(tinyShape, workerpoolPool) },
    { name: "CPython ThreadPoolExecutor", role: "cpython", python: { script: "executors.py", args: ["thread", "tiny"] } },
    { name: "CPython ProcessPoolExecutor (ref)", role: "peer", runs: 1, python: { script: "executors.py", args: ["process", "tiny"] } },
  ],
};

export const largeJobsWorkload: Workload = {
  id: "exec-large",
  clock: "wall", // work runs in other threads and processes: elapsed time is what a pool buys
  title: "executors: 8 large jobs (sum of squares of 20M numbers) on 2 workers",
  unit: "s",
  n: 20_000_000,
  quickN: 1_000_000,
  runs: 3,
  warmup: 0.05,
  timeoutS: 180,
  target: {
    text: "asyncio-ts ThreadPoolExecutor within 10% of single-thread ÷ 2, faster than CPython ProcessPoolExecutor",
    check: (get) => {
      const lib = get("exec-large", "asyncio-ts ThreadPoolExecutor (fromModule)");
      const floor = get("exec-large", "floor: single thread ÷ 2");
      const py = get("exec-large", "CPython ProcessPoolExecutor");
      if (lib === undefined || floor === undefined) return undefined;
      return lib <= 1.1 * floor && (py === undefined || lib < py);
    },
  },
  variants: [
    ...executorVariants(largeShape, [
      {
        name: "floor: single thread ÷ 2",
        role: "floor",
        make: () =>
          Promise.resolve({
            run: (n: number) => {
              const t0 = performance.now();
              let total = 0;
              for (let i = 0; i < LARGE_JOBS; i++) total += sumSquares(job(i, n).start, n);
              if (!(total > 0)) throw new Error("bad result");
              return Promise.resolve((performance.now() - t0) / 1000 / WORKERS);
            },
          }),
      },
    ]),
    { name: "CPython ProcessPoolExecutor", role: "cpython", runs: 1, python: { script: "executors.py", args: ["process", "large"] } },
  ],
};
