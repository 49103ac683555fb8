/**
 * Where spawn + gather's time goes: the floor with one ingredient added at a time (a context per
 * task, then one batched wake-up for all), beside asyncio-ts. One process, alternating rounds with
 * the order rotated, CPU time, median of the per-round ratios to the plain floor. Issue 11's gather row.
 *
 *   node --expose-gc --import tsx bench/probes/gather-breakdown.ts [n=100000]
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createTask, gather, run, sleep } from "../../src/index.js";
import { quantile } from "../stats.js";
import { yieldImmediate } from "../workloads/common.js";

const n = Number(process.argv[2] ?? 100_000);
const ROUNDS = 15;
const als = new AsyncLocalStorage<number>();

/** A ready queue in miniature: every wake-up of one turn resolved from a single setImmediate. */
function batchedWake(): () => Promise<void> {
  let waiters: Array<() => void> = [];
  const flush = (): void => {
    const now = waiters;
    waiters = [];
    for (const wake of now) wake();
  };
  return () =>
    new Promise<void>((resolve) => {
      if (waiters.push(resolve) === 1) setImmediate(flush);
    });
}

const variants: Array<[string, () => Promise<unknown>]> = [
  ["floor: Promise.all + setImmediate", () => Promise.all(Array.from({ length: n }, async (_, i) => (await yieldImmediate(), i)))],
  ["floor + one ALS.run per task", () => Promise.all(Array.from({ length: n }, (_, i) => als.run(i, async () => (await yieldImmediate(), i))))],
  [
    "floor + ALS.run + one batched wake (1 setImmediate for all)",
    () => {
      const wake = batchedWake();
      return Promise.all(Array.from({ length: n }, (_, i) => als.run(i, async () => (await wake(), i))));
    },
  ],
  [
    "asyncio-ts gather(createTask…)",
    () =>
      run(async () => {
        const tasks = new Array<PromiseLike<number>>(n);
        for (let i = 0; i < n; i++) tasks[i] = createTask(async () => (await sleep(0), i));
        await gather(...tasks);
      }),
  ],
];

async function cpuMs(fn: () => Promise<unknown>): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

for (const [, fn] of variants) await fn(); // warm-up
const times = variants.map(() => [] as number[]);
const ratios = variants.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) {
  const t = new Array<number>(variants.length);
  for (let j = 0; j < variants.length; j++) {
    const k = (j + round) % variants.length;
    t[k] = await cpuMs((variants[k] as [string, () => Promise<unknown>])[1]);
  }
  t.forEach((ms, k) => {
    (times[k] as number[]).push(ms);
    (ratios[k] as number[]).push(ms / (t[0] as number));
  });
}
console.log(`node ${process.version}, n=${n}, ${ROUNDS} rounds, CPU time`);
variants.forEach(([name], k) => {
  const r = ratios[k] as number[];
  const ms = quantile(times[k] as number[], 0.5).toFixed(1).padStart(7);
  console.log(`${ms} ms  ${quantile(r, 0.5).toFixed(2)}× [${quantile(r, 0.25).toFixed(2)}–${quantile(r, 0.75).toFixed(2)}]  ${name}`);
});
