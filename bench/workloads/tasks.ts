/** Issue 2's workloads: spawn+gather, sequential waitFor, and the AsyncLocalStorage tax. */
import { AsyncLocalStorage } from "node:async_hooks";
import { need } from "../api.js";
import type { Variant, Workload } from "../harness.js";
import { range, yieldImmediate } from "./common.js";

/** asyncio-ts spawning n tasks that each sleep(0) once, gathered; optionally in debug mode. */
function gatherVariant(name: string, debug: boolean, eagerStart = false): Variant {
  return {
    name,
    role: "asyncio-ts",
    make: async () => {
      const { run, createTask, gather, sleep, getRunningLoop } = await need("run", "createTask", "gather", "sleep", "getRunningLoop");
      return {
        run: (n: number) =>
          run(
            async () => {
              // In debug mode, measure the checks, not the printing of reports.
              if (debug) getRunningLoop().slowCallbackDuration = 1e9;
              const tasks = new Array<unknown>(n);
              for (let i = 0; i < n; i++) {
                tasks[i] = createTask(
                  async () => {
                    await sleep(0);
                    return i;
                  },
                  { eagerStart },
                );
              }
              await gather(...tasks);
            },
            { debug },
          ),
      };
    },
  };
}

export const gatherWorkload: Workload = {
  id: "gather",
  title: "spawn + gather 100k tasks, each sleep(0) once",
  unit: "s",
  n: 100_000,
  quickN: 10_000,
  runs: 5, // the target compares with the floor within a few %: more runs steady the medians
  warmup: 0.05,
  timeoutS: 180,
  target: {
    text: "asyncio-ts gather ≤ the setImmediate floor (≥ 5× CPython)",
    check: (get) => {
      const lib = get("gather", "asyncio-ts gather(createTask…)");
      const floor = get("gather", "floor: Promise.all + setImmediate");
      return lib === undefined || floor === undefined ? undefined : lib <= floor;
    },
  },
  variants: [
    {
      name: "floor: Promise.all + setImmediate",
      role: "floor",
      make: () =>
        Promise.resolve({
          run: async (n: number) => {
            await Promise.all(
              range(n).map(async (i) => {
                await yieldImmediate();
                return i;
              }),
            );
          },
        }),
    },
    gatherVariant("asyncio-ts gather(createTask…)", false),
    // Issue 11: asyncio 3.12's eager start, each task's first step run inside createTask().
    gatherVariant("asyncio-ts gather(createTask…, eagerStart)", false, true),
    // Issue 5: what debug mode costs (creation and await stacks captured, every step timed).
    gatherVariant("asyncio-ts gather(createTask…), debug mode on", true),
    {
      name: "asyncio-ts Promise.all(createTask…)",
      role: "asyncio-ts",
      make: async () => {
        const { run, createTask, sleep } = await need("run", "createTask", "sleep");
        return {
          run: (n: number) =>
            run(async () => {
              const tasks = new Array<PromiseLike<number>>(n);
              for (let i = 0; i < n; i++) {
                tasks[i] = createTask(async () => {
                  await sleep(0);
                  return i;
                });
              }
              await Promise.all(tasks);
            }),
        };
      },
    },
    {
      name: "Effect forEach unbounded + yieldNow",
      role: "peer",
      make: async () => {
        const { Effect } = await import("effect");
        return {
          run: async (n: number) => {
            await Effect.runPromise(
              Effect.forEach(range(n), (i) => Effect.as(Effect.yieldNow, i), { concurrency: "unbounded" }),
            );
          },
        };
      },
    },
    {
      name: "Effection spawn + sleep(0)",
      role: "peer",
      runs: 1,
      // 20-50 s at 100k here: measured at 10k and scaled ×10 (10k ≈ 2 s, 100k ≈ 20 s when idle).
      scaleDown: 10,
      make: async () => {
        const { run, spawn, sleep } = await import("effection");
        return {
          run: async (n: number) => {
            await run(function* () {
              const tasks = [];
              for (let i = 0; i < n; i++) {
                tasks.push(
                  yield* spawn(function* () {
                    yield* sleep(0);
                    return i;
                  }),
                );
              }
              for (const task of tasks) yield* task;
            });
          },
        };
      },
    },
    { name: "CPython create_task + gather", role: "cpython", python: { script: "gather.py" } },
  ],
};

export const waitForWorkload: Workload = {
  id: "waitfor",
  title: "100k sequential waitFor(fast, 10), fast resolves after one yield",
  unit: "s",
  n: 100_000,
  quickN: 10_000,
  runs: 3,
  warmup: 0.05,
  target: {
    text: "asyncio-ts waitFor within 2× the setTimeout/clearTimeout floor",
    check: (get) => {
      const lib = get("waitfor", "asyncio-ts waitFor(fn, 10)");
      const floor = get("waitfor", "floor: setTimeout/clearTimeout race");
      return lib === undefined || floor === undefined ? undefined : lib <= 2 * floor;
    },
  },
  variants: [
    {
      name: "floor: setTimeout/clearTimeout race",
      role: "floor",
      make: () =>
        Promise.resolve({
          run: async (n: number) => {
            const fast = async (): Promise<number> => {
              await yieldImmediate();
              return 1;
            };
            let sum = 0;
            for (let i = 0; i < n; i++) {
              sum += await new Promise<number>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error("timeout")), 10_000);
                fast().then(
                  (value) => {
                    clearTimeout(timer);
                    resolve(value);
                  },
                  (error: unknown) => {
                    clearTimeout(timer);
                    reject(error);
                  },
                );
              });
            }
            if (sum !== n) throw new Error("lost results");
          },
        }),
    },
    {
      name: "asyncio-ts waitFor(fn, 10)",
      role: "asyncio-ts",
      make: async () => {
        const { run, waitFor, sleep } = await need("run", "waitFor", "sleep");
        const fast = async (): Promise<number> => {
          await sleep(0);
          return 1;
        };
        return {
          run: (n: number) =>
            run(async () => {
              let sum = 0;
              for (let i = 0; i < n; i++) sum += await waitFor(fast, 10);
              if (sum !== n) throw new Error("lost results");
            }),
        };
      },
    },
    {
      name: "asyncio-ts timeout(10, fn)",
      role: "asyncio-ts",
      make: async () => {
        const { run, timeout, sleep } = await need("run", "timeout", "sleep");
        const fast = async (): Promise<number> => {
          await sleep(0);
          return 1;
        };
        return {
          run: (n: number) =>
            run(async () => {
              let sum = 0;
              for (let i = 0; i < n; i++) sum += await timeout(10, fast);
              if (sum !== n) throw new Error("lost results");
            }),
        };
      },
    },
    {
      // The floor of the bare sleep(0) row (sleep(0) wakes after one loop turn, as this does).
      name: "floor: bare setImmediate yield (no timeout)",
      role: "peer",
      make: () =>
        Promise.resolve({
          run: async (n: number) => {
            for (let i = 0; i < n; i++) await yieldImmediate();
          },
        }),
    },
    {
      name: "asyncio-ts bare sleep(0) (no timeout)",
      role: "asyncio-ts",
      make: async () => {
        const { run, sleep } = await need("run", "sleep");
        return {
          run: (n: number) =>
            run(async () => {
              for (let i = 0; i < n; i++) await sleep(0);
            }),
        };
      },
    },
    { name: "CPython wait_for", role: "cpython", python: { script: "waitfor.py" } },
  ],
};

export const alsWorkload: Workload = {
  id: "als",
  title: "AsyncLocalStorage tax: the gather floor (100k × setImmediate) with and without ALS",
  unit: "s",
  n: 100_000,
  quickN: 10_000,
  runs: 3,
  warmup: 0.05,
  variants: [
    {
      name: "floor: no AsyncLocalStorage",
      role: "floor",
      make: () =>
        Promise.resolve({
          run: async (n: number) => {
            await Promise.all(
              range(n).map(async (i) => {
                await yieldImmediate();
                return i;
              }),
            );
          },
        }),
    },
    {
      name: "floor + als.run per task",
      role: "peer",
      als: true,
      make: () => {
        const als = new AsyncLocalStorage<number>();
        return Promise.resolve({
          run: async (n: number) => {
            await Promise.all(
              range(n).map((i) =>
                als.run(i, async () => {
                  await yieldImmediate();
                  return als.getStore();
                }),
              ),
            );
          },
        });
      },
    },
    {
      name: "floor + ALS enabled once (enterWith)",
      role: "peer",
      als: true,
      make: () => {
        const als = new AsyncLocalStorage<number>();
        als.enterWith(0);
        return Promise.resolve({
          run: async (n: number) => {
            await Promise.all(
              range(n).map(async (i) => {
                await yieldImmediate();
                return i;
              }),
            );
          },
        });
      },
    },
  ],
};
