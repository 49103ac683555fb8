/**
 * Issue 13: what the live monitor costs while it is on and nobody is connected (it stamps tasks
 * and waits, runs a heartbeat and a lag sampler). Each workload runs the same asyncio-ts program
 * with the monitor off and on, in one suite run; the target is "on within 10 % of off".
 */
import { need, type TaskLike } from "../api.js";
import type { Instance, Target, Variant, Workload } from "../harness.js";

type Program = (n: number) => Promise<void>;

async function gatherProgram(): Promise<Program> {
  const { run, createTask, gather, sleep } = await need("run", "createTask", "gather", "sleep");
  return (n) =>
    run(async () => {
      const tasks = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        tasks[i] = createTask(async () => {
          await sleep(0);
          return i;
        });
      }
      await gather(...tasks);
    });
}

async function queueProgram(): Promise<Program> {
  const { run, createTask, Queue } = await need("run", "createTask", "Queue");
  return (n) =>
    run(async () => {
      const queue = new Queue<number>(100);
      let sum = 0;
      const consumers: TaskLike<void>[] = [];
      for (let c = 0; c < 4; c++) {
        consumers.push(
          createTask(async () => {
            while (true) {
              const item = await queue.get();
              sum += item;
              queue.taskDone();
            }
          }),
        );
      }
      for (let i = 0; i < n; i++) await queue.put(i);
      await queue.join();
      for (const consumer of consumers) consumer.cancel();
      await Promise.allSettled(consumers);
      if (sum !== (n * (n - 1)) / 2) throw new Error("lost items");
    });
}

function variant(name: string, program: () => Promise<Program>, monitor: boolean): Variant {
  return {
    name,
    role: "asyncio-ts",
    make: async (): Promise<Instance> => {
      const run = await program();
      if (!monitor) return { run };
      const { startMonitor } = await import("../../src/monitor/index.js");
      const started = await startMonitor();
      return { run, close: () => started.close() };
    },
  };
}

function withinTenPercent(id: string, off: string, on: string): Target {
  return {
    text: "monitor on (nobody connected) within 10 % of off",
    check: (get) => {
      const a = get(id, off);
      const b = get(id, on);
      return a === undefined || b === undefined ? undefined : b <= 1.1 * a;
    },
  };
}

const GATHER_OFF = "asyncio-ts gather, monitor off";
const GATHER_ON = "asyncio-ts gather, monitor on";
const QUEUE_OFF = "asyncio-ts Queue(100), monitor off";
const QUEUE_ON = "asyncio-ts Queue(100), monitor on";

export const monitorGatherWorkload: Workload = {
  id: "monitor-gather",
  title: "the monitor's cost: spawn + gather 100k tasks, each sleep(0) once, monitor off / on",
  unit: "s",
  n: 100_000,
  quickN: 10_000,
  runs: 7,
  warmup: 0.05,
  timeoutS: 180,
  target: withinTenPercent("monitor-gather", GATHER_OFF, GATHER_ON),
  variants: [variant(GATHER_OFF, gatherProgram, false), variant(GATHER_ON, gatherProgram, true)],
};

export const monitorQueueWorkload: Workload = {
  id: "monitor-queue",
  title: "the monitor's cost: Queue, 1 producer, 4 consumers, 200k items, monitor off / on",
  unit: "s",
  n: 200_000,
  quickN: 20_000,
  runs: 7,
  warmup: 0.05,
  target: withinTenPercent("monitor-queue", QUEUE_OFF, QUEUE_ON),
  variants: [variant(QUEUE_OFF, queueProgram, false), variant(QUEUE_ON, queueProgram, true)],
};
