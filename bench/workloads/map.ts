/**
 * Issue 15's toolkit workload: a bounded concurrent map over 100k items, concurrency 10, each call
 * yielding once, its results consumed as a stream (`for await`) in the source's order and summed.
 * asyncio-ts runs each call in a task of its own (cancellable); p-map and the floor run plain
 * async functions.
 */
import { need } from "../api.js";
import type { Workload } from "../harness.js";
import { insideAls, range, yieldImmediate } from "./common.js";

const CONCURRENCY = 10;

async function double(x: number): Promise<number> {
  await yieldImmediate();
  return 2 * x;
}

function check(sum: number, n: number): void {
  if (sum !== n * (n - 1)) throw new Error(`wrong sum ${sum}`);
}

/**
 * The floor: a streaming bounded map as one would write it by hand. `CONCURRENCY` worker loops take
 * the next index (never more than 2 × CONCURRENCY ahead of the consumer, as mapConcurrent), store
 * their result in a slot and wake the consumer, an async generator that yields in order.
 */
async function* floorMap<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, concurrency: number): AsyncGenerator<R> {
  const results = new Array<R>(items.length);
  const ready = new Array<boolean>(items.length).fill(false);
  let next = 0;
  let delivered = 0;
  let wakeConsumer: (() => void) | null = null;
  let wakeWorkers: (() => void)[] = [];
  const failed: { failure: { error: unknown } | null } = { failure: null };
  const worker = async (): Promise<void> => {
    while (next < items.length && failed.failure === null) {
      if (next - delivered >= 2 * concurrency) {
        await new Promise<void>((resolve) => wakeWorkers.push(resolve));
        continue;
      }
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (error) {
        failed.failure ??= { error };
      }
      ready[i] = true;
      if (i === delivered || failed.failure !== null) {
        wakeConsumer?.();
        wakeConsumer = null;
      }
    }
  };
  const workers = range(Math.min(concurrency, items.length)).map(worker);
  while (delivered < items.length) {
    if (failed.failure !== null) throw failed.failure.error;
    if (!ready[delivered]) {
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
      continue;
    }
    const value = results[delivered] as R;
    results[delivered++] = undefined as R;
    const woken = wakeWorkers;
    wakeWorkers = [];
    for (const wake of woken) wake();
    yield value;
  }
  await Promise.all(workers);
}

async function mapFloor(n: number): Promise<void> {
  let sum = 0;
  for await (const v of floorMap(range(n), double, CONCURRENCY)) sum += v;
  check(sum, n);
}

async function pMapRun(): Promise<(n: number) => Promise<void>> {
  const { default: pMap } = await import("p-map");
  return async (n: number) => {
    const results = await pMap(range(n), double, { concurrency: CONCURRENCY });
    let sum = 0;
    for (const v of results) sum += v;
    check(sum, n);
  };
}

/** A task per call, 10 at a time, results summed as they finish: what the tasks alone cost, without the streaming. */
async function bareTasksRun(): Promise<(n: number) => Promise<void>> {
  const { run, sleep, createTask } = await need("run", "sleep", "createTask");
  return (n: number) =>
    run(async () => {
      let sum = 0;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < n) {
          const x = next++;
          const v = await createTask(async () => {
            await sleep(0);
            return 2 * x;
          });
          sum += v;
        }
      };
      await Promise.all(range(CONCURRENCY).map(worker));
      check(sum, n);
    });
}

async function mapConcurrentRun(ordered: boolean): Promise<(n: number) => Promise<void>> {
  const { run, sleep, mapConcurrent } = await need("run", "sleep", "mapConcurrent");
  const fn = async (x: number): Promise<number> => {
    await sleep(0);
    return 2 * x;
  };
  return (n: number) =>
    run(async () => {
      let sum = 0;
      for await (const v of mapConcurrent(range(n), fn, { concurrency: CONCURRENCY, ordered })) sum += v;
      check(sum, n);
    });
}

export const mapWorkload: Workload = {
  id: "map",
  title: "mapConcurrent: 100k items, concurrency 10, each call yields once, results streamed in order",
  unit: "s",
  n: 100_000,
  quickN: 10_000,
  runs: 5,
  warmup: 0.05,
  target: {
    text: "asyncio-ts mapConcurrent (a task per call) at least as fast as p-map, within 1.5× the hand-written floor",
    check: (get) => {
      const lib = get("map", "asyncio-ts mapConcurrent, ordered");
      const floor = get("map", "floor: workers + ordered slots");
      const pMap = get("map", "p-map concurrency 10");
      if (lib === undefined || floor === undefined || pMap === undefined) return undefined;
      return lib <= pMap && lib <= 1.5 * floor;
    },
  },
  variants: [
    { name: "floor: workers + ordered slots", role: "floor", make: () => Promise.resolve({ run: mapFloor }) },
    { name: "floor inside AsyncLocalStorage.run", role: "peer", als: true, make: () => Promise.resolve(insideAls(mapFloor)) },
    { name: "asyncio-ts mapConcurrent, ordered", role: "asyncio-ts", make: async () => ({ run: await mapConcurrentRun(true) }) },
    { name: "asyncio-ts mapConcurrent, ordered: false", role: "asyncio-ts", make: async () => ({ run: await mapConcurrentRun(false) }) },
    { name: "asyncio-ts createTask per call, 10 workers (no stream)", role: "asyncio-ts", make: async () => ({ run: await bareTasksRun() }) },
    { name: "p-map concurrency 10", role: "peer", make: async () => ({ run: await pMapRun() }) },
    {
      // The same, in a process where some AsyncLocalStorage is in use: on Node 20 every promise
      // then pays the async_hooks promise hooks, as asyncio-ts's own code does.
      name: "p-map concurrency 10 inside AsyncLocalStorage.run",
      role: "peer",
      als: true,
      make: async () => insideAls(await pMapRun()),
    },
    {
      name: "p-map pMapIterable concurrency 10",
      role: "peer",
      make: async () => {
        const { pMapIterable } = await import("p-map");
        return {
          run: async (n: number) => {
            let sum = 0;
            for await (const v of pMapIterable(range(n), double, { concurrency: CONCURRENCY })) sum += v;
            check(sum, n);
          },
        };
      },
    },
  ],
};
