/** Issue 3's synchronization workloads: Semaphore(10) throughput, Lock contention, wake-up cost. */
import { need, type TaskLike } from "../api.js";
import type { Variant, Workload } from "../harness.js";
import { FloorSemaphore, gc, insideAls, range, yieldImmediate } from "./common.js";

const PERMITS = 10;

async function semaphoreFloor(n: number): Promise<void> {
  const sem = new FloorSemaphore(PERMITS);
  await Promise.all(
    range(n).map(async () => {
      await sem.acquire();
      try {
        await yieldImmediate();
      } finally {
        sem.release();
      }
    }),
  );
}

/** p-limit's run of the semaphore workload: every job through `limit()`. */
async function pLimitRun(): Promise<(n: number) => Promise<void>> {
  const { default: pLimit } = await import("p-limit");
  return async (n: number) => {
    const limit = pLimit(PERMITS);
    await Promise.all(range(n).map(() => limit(yieldImmediate)));
  };
}

/** asyncio-ts with a cancellable Task per job, each taking a permit and yielding once. */
function semaphoreTasks(name: string, eagerStart: boolean): Variant {
  return {
    name,
    role: "asyncio-ts",
    make: async () => {
      const { run, createTask, sleep, Semaphore } = await need("run", "createTask", "sleep", "Semaphore");
      return {
        run: (n: number) =>
          run(async () => {
            const sem = new Semaphore(PERMITS);
            const tasks = new Array<PromiseLike<void>>(n);
            for (let i = 0; i < n; i++) {
              tasks[i] = createTask(
                async () => {
                  using _ = await sem.acquire();
                  await sleep(0);
                },
                { eagerStart },
              );
            }
            await Promise.all(tasks);
          }),
      };
    },
  };
}

export const semaphoreWorkload: Workload = {
  id: "semaphore",
  title: "Semaphore: 100k jobs (each yields once) through Semaphore(10)",
  unit: "s",
  n: 100_000,
  quickN: 10_000,
  runs: 5, // the target compares variants within ~10%: more runs steady the medians
  warmup: 0.05,
  target: {
    // Like for like: p-limit and p-queue run plain functions, so the figure checked is the plain
    // async functions variant; one task per job adds a cancellable Task each (shown, not checked).
    text: "asyncio-ts (plain async functions, as p-limit runs them) at least as fast as p-limit and p-queue, far ahead of async-mutex",
    check: (get) => {
      const lib = get("semaphore", "asyncio-ts Semaphore, plain async fns");
      const peers = [get("semaphore", "p-limit(10)"), get("semaphore", "p-queue concurrency 10")];
      if (lib === undefined || peers.some((p) => p === undefined)) return undefined;
      return peers.every((p) => lib <= (p as number));
    },
  },
  variants: [
    {
      name: "floor: counter + resolver FIFO",
      role: "floor",
      make: () => Promise.resolve({ run: semaphoreFloor }),
    },
    {
      name: "floor inside AsyncLocalStorage.run",
      role: "peer",
      als: true,
      make: () => Promise.resolve(insideAls(semaphoreFloor)),
    },
    semaphoreTasks("asyncio-ts Semaphore, one task per job", false),
    // Issue 11: asyncio 3.12's eager start (each task runs to its first suspension inside createTask).
    semaphoreTasks("asyncio-ts Semaphore, one eager task per job", true),
    {
      name: "asyncio-ts Semaphore, plain async fns",
      role: "asyncio-ts",
      make: async () => {
        const { run, sleep, Semaphore } = await need("run", "sleep", "Semaphore");
        return {
          run: (n: number) =>
            run(async () => {
              const sem = new Semaphore(PERMITS);
              await Promise.all(
                range(n).map(async () => {
                  using _ = await sem.acquire();
                  await sleep(0);
                }),
              );
            }),
        };
      },
    },
    {
      name: "p-limit(10)",
      role: "peer",
      make: async () => ({ run: await pLimitRun() }),
    },
    {
      // The same, in a process where some AsyncLocalStorage is in use (tracing, logging, a
      // framework): on Node 20 every promise then pays the async_hooks promise hooks.
      name: "p-limit(10) inside AsyncLocalStorage.run",
      role: "peer",
      als: true,
      make: async () => insideAls(await pLimitRun()),
    },
    {
      name: "p-queue concurrency 10",
      role: "peer",
      make: async () => {
        const { default: PQueue } = await import("p-queue");
        return {
          run: async (n: number) => {
            const queue = new PQueue({ concurrency: PERMITS });
            for (let i = 0; i < n; i++) void queue.add(yieldImmediate); // settled through onIdle()
            await queue.onIdle();
          },
        };
      },
    },
    {
      name: "async-mutex Semaphore(10)",
      role: "peer",
      runs: 1, // ~10× the floor: one run is enough to show it
      make: async () => {
        const { Semaphore } = await import("async-mutex");
        return {
          run: async (n: number) => {
            const sem = new Semaphore(PERMITS);
            await Promise.all(range(n).map(() => sem.runExclusive(yieldImmediate)));
          },
        };
      },
    },
    { name: "CPython asyncio.Semaphore(10)", role: "cpython", python: { script: "semaphore.py" } },
  ],
};

const LOCK_TASKS = 100;

export const lockWorkload: Workload = {
  id: "lock",
  title: "Lock: 100 tasks × 1,000 increments, a yield inside the critical section",
  unit: "s",
  n: 100_000,
  quickN: 10_000,
  runs: 3,
  warmup: 0.05,
  target: {
    text: "asyncio-ts Lock at least as fast as async-mutex's Mutex",
    check: (get) => {
      const lib = get("lock", "asyncio-ts Lock");
      const peer = get("lock", "async-mutex Mutex");
      return lib === undefined || peer === undefined ? undefined : lib <= peer;
    },
  },
  variants: [
    {
      name: "floor: hand-written FIFO lock",
      role: "floor",
      make: () =>
        Promise.resolve({
          run: async (n: number) => {
            const lock = new FloorSemaphore(1);
            let counter = 0;
            const each = n / LOCK_TASKS;
            await Promise.all(
              range(LOCK_TASKS).map(async () => {
                for (let j = 0; j < each; j++) {
                  await lock.acquire();
                  try {
                    const value = counter;
                    await yieldImmediate();
                    counter = value + 1;
                  } finally {
                    lock.release();
                  }
                }
              }),
            );
            if (counter !== n) throw new Error(`counter ${counter} !== ${n}`);
          },
        }),
    },
    {
      name: "asyncio-ts Lock",
      role: "asyncio-ts",
      make: async () => {
        const { run, createTask, sleep, Lock } = await need("run", "createTask", "sleep", "Lock");
        return {
          run: (n: number) =>
            run(async () => {
              const lock = new Lock();
              let counter = 0;
              const each = n / LOCK_TASKS;
              const tasks: TaskLike<void>[] = [];
              for (let t = 0; t < LOCK_TASKS; t++) {
                tasks.push(
                  createTask(async () => {
                    for (let j = 0; j < each; j++) {
                      using _ = await lock.acquire();
                      const value = counter;
                      await sleep(0);
                      counter = value + 1;
                    }
                  }),
                );
              }
              await Promise.all(tasks);
              if (counter !== n) throw new Error(`counter ${counter} !== ${n}`);
            }),
        };
      },
    },
    {
      name: "async-mutex Mutex",
      role: "peer",
      make: async () => {
        const { Mutex } = await import("async-mutex");
        return {
          run: async (n: number) => {
            const mutex = new Mutex();
            let counter = 0;
            const each = n / LOCK_TASKS;
            await Promise.all(
              range(LOCK_TASKS).map(async () => {
                for (let j = 0; j < each; j++) {
                  const release = await mutex.acquire();
                  try {
                    const value = counter;
                    await yieldImmediate();
                    counter = value + 1;
                  } finally {
                    release();
                  }
                }
              }),
            );
            if (counter !== n) throw new Error(`counter ${counter} !== ${n}`);
          },
        };
      },
    },
    { name: "CPython asyncio.Lock", role: "cpython", python: { script: "lock.py" } },
  ],
};

/** Waiters walked per measured run at every size, so each size averages over the same work. */
const WAKE_TOTAL = 50_000;

/**
 * Wake-up cost: n waiters queue on a held semaphore; the holder releases and each waiter, once
 * woken, releases again, so the permit walks the whole queue. Measured: the walk's time per
 * waiter. A run repeats the walk until WAKE_TOTAL waiters have been woken (50 rounds of 1k, one
 * of 50k): a 1k walk lasts about a millisecond, so a single one mostly measures whether a GC
 * happened to land in it.
 */
function waitersOn(
  setup: () => Promise<{ acquire: () => Promise<() => void>; spawn: (fn: () => Promise<void>) => PromiseLike<void>; yieldNow: () => Promise<void>; wrap: <T>(fn: () => Promise<T>) => Promise<T> }>,
): () => Promise<{ run: (n: number) => Promise<number> }> {
  return async () => {
    const { acquire, spawn, yieldNow, wrap } = await setup();
    const walk = (n: number): Promise<number> =>
      wrap(async () => {
        const releaseHeld = await acquire();
        const waiters = new Array<PromiseLike<void>>(n);
        for (let i = 0; i < n; i++) {
          waiters[i] = spawn(async () => {
            const release = await acquire();
            release();
          });
        }
        // Set up the completion tracking and let every waiter start and queue up, then collect
        // what that left behind, so the walk is charged neither for Promise.all's bookkeeping
        // nor for promoting n fresh waiters out of the young generation.
        const allDone = Promise.all(waiters);
        await yieldNow();
        await yieldNow();
        await yieldNow();
        gc();
        const t0 = performance.now();
        releaseHeld();
        await allDone;
        return performance.now() - t0;
      });
    return {
      run: async (n: number) => {
        const rounds = Math.max(1, Math.round(WAKE_TOTAL / n));
        let ms = 0;
        for (let r = 0; r < rounds; r++) ms += await walk(n);
        return (ms * 1000) / (rounds * n);
      },
    };
  };
}

/** asyncio-ts on the wake-up walk: each waiter a task of its own, or a plain async function. */
function asyncioWakeVariant(name: string, taskPerWaiter: boolean): Variant {
  return {
    name,
    role: "asyncio-ts",
    make: waitersOn(async () => {
      const { run, createTask, sleep, Semaphore } = await need("run", "createTask", "sleep", "Semaphore");
      let sem = new Semaphore(1);
      return {
        acquire: async () => {
          const guard = await sem.acquire();
          return () => guard.release();
        },
        spawn: taskPerWaiter ? (fn) => createTask(fn) : (fn) => fn(),
        yieldNow: () => sleep(0),
        wrap: (fn) =>
          run(() => {
            sem = new Semaphore(1);
            return fn();
          }),
      };
    }),
  };
}

function wakeVariants(): Variant[] {
  return [
    {
      name: "floor: counter + resolver FIFO",
      role: "floor",
      make: waitersOn(() => {
        const sem = new FloorSemaphore(1);
        return Promise.resolve({
          acquire: async () => {
            await sem.acquire();
            return () => sem.release();
          },
          spawn: (fn) => fn(),
          yieldNow: yieldImmediate,
          wrap: (fn) => fn(),
        });
      }),
    },
    asyncioWakeVariant("asyncio-ts Semaphore, one task per waiter", true),
    asyncioWakeVariant("asyncio-ts Semaphore, plain async fns", false),
    {
      name: "async-mutex Semaphore",
      role: "peer",
      make: waitersOn(async () => {
        const { Semaphore } = await import("async-mutex");
        const sem = new Semaphore(1);
        return {
          acquire: async () => (await sem.acquire())[1],
          spawn: (fn) => fn(),
          yieldNow: yieldImmediate,
          wrap: (fn) => fn(),
        };
      }),
    },
    { name: "CPython asyncio.Semaphore", role: "cpython", python: { script: "wake.py" } },
  ];
}

function wakeWorkload(size: number, label: string, target?: Workload["target"]): Workload {
  return {
    id: `wake-${label}`,
    title: `wake-up cost per waiter, ${size.toLocaleString("en-US")} waiters on one semaphore`,
    unit: "µs/waiter",
    n: size,
    quickN: Math.max(1000, size / 10),
    runs: size <= 10_000 ? 7 : 5, // µs-scale figures are noisy; runs are cheap
    warmup: 0.05,
    variants: wakeVariants(),
    ...(target !== undefined ? { target } : {}),
  };
}

export const wakeWorkloads: Workload[] = [
  wakeWorkload(1_000, "1k"),
  wakeWorkload(10_000, "10k"),
  wakeWorkload(50_000, "50k", {
    text: "asyncio-ts wake-up cost flat: at 50k waiters within 1.5× its cost at 1k",
    check: (get) => {
      const small = get("wake-1k", "asyncio-ts Semaphore, one task per waiter");
      const large = get("wake-50k", "asyncio-ts Semaphore, one task per waiter");
      return small === undefined || large === undefined ? undefined : large <= 1.5 * small;
    },
  }),
];
