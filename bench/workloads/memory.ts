/** Issue 2's memory figure: bytes per pending task, 100k tasks blocked on an Event. */
import { need } from "../api.js";
import type { Workload } from "../harness.js";
import { gc } from "./common.js";

/** Heap in use after a full collection. */
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Lets tasks that start on the next loop turns reach their wait. */
function settle(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
}

export const memoryWorkload: Workload = {
  id: "memory",
  title: "bytes per pending task: 100k tasks blocked on an Event (heapUsed delta after GC)",
  unit: "B/task",
  n: 100_000,
  quickN: 20_000,
  runs: 1, // deterministic to a few bytes; tracemalloc makes CPython's run slow
  warmup: 0.05,
  target: {
    text: "asyncio-ts ≤ CPython's bytes per pending task",
    check: (get) => {
      const lib = get("memory", "asyncio-ts createTask + Event.wait");
      const py = get("memory", "CPython create_task + Event.wait");
      return lib === undefined || py === undefined ? undefined : lib <= py;
    },
  },
  variants: [
    {
      name: "floor: async fn awaiting one promise",
      role: "floor",
      make: () =>
        Promise.resolve({
          run: async (n: number) => {
            const before = heapAfterGc();
            let open!: () => void;
            const gate = new Promise<void>((resolve) => (open = resolve));
            const pending = new Array<Promise<number>>(n);
            for (let i = 0; i < n; i++) {
              pending[i] = (async () => {
                await gate;
                return i;
              })();
            }
            await settle();
            const perTask = (heapAfterGc() - before) / n;
            open();
            await Promise.all(pending);
            return perTask;
          },
        }),
    },
    {
      name: "asyncio-ts createTask + Event.wait",
      role: "asyncio-ts",
      make: async () => {
        const { run, createTask, Event } = await need("run", "createTask", "Event");
        return {
          run: (n: number) =>
            run(async () => {
              const before = heapAfterGc();
              const event = new Event();
              const tasks = new Array<PromiseLike<unknown>>(n);
              for (let i = 0; i < n; i++) tasks[i] = createTask(() => event.wait());
              await settle();
              await settle();
              const perTask = (heapAfterGc() - before) / n;
              event.set();
              await Promise.all(tasks);
              return perTask;
            }),
        };
      },
    },
    {
      name: "CPython create_task + Event.wait",
      role: "cpython",
      python: { script: "memory.py" },
    },
  ],
};
