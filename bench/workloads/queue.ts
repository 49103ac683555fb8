/** Issue 3's queue workload: 1 producer, 4 consumers, maxsize 100, taskDone/join. */
import { need, type TaskLike } from "../api.js";
import type { Workload } from "../harness.js";
import { Fifo, insideAls } from "./common.js";

const CONSUMERS = 4;
const MAXSIZE = 100;
const STOP = -1;

/** The floor: a bounded queue as one would write it by hand (array + resolvers), asyncio's shape. */
class FloorQueue<T> {
  private readonly items = new Fifo<T>();
  private readonly getters = new Fifo<() => void>();
  private readonly putters = new Fifo<() => void>();
  private unfinished = 0;
  private joiners: (() => void)[] = [];
  constructor(private readonly maxsize: number) {}

  async put(item: T): Promise<void> {
    while (this.items.length >= this.maxsize) await new Promise<void>((resolve) => this.putters.push(resolve));
    this.items.push(item);
    this.unfinished++;
    this.getters.shift()?.();
  }

  async get(): Promise<T> {
    while (this.items.length === 0) await new Promise<void>((resolve) => this.getters.push(resolve));
    const item = this.items.shift() as T;
    this.putters.shift()?.();
    return item;
  }

  taskDone(): void {
    if (--this.unfinished === 0) {
      for (const wake of this.joiners) wake();
      this.joiners = [];
    }
  }

  join(): Promise<void> {
    return this.unfinished === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.joiners.push(resolve));
  }
}

/** The floor run: the hand-written queue with the same producer and consumers. */
async function queueFloor(n: number): Promise<void> {
  const queue = new FloorQueue<number>(MAXSIZE);
  let sum = 0;
  const consumer = async (): Promise<void> => {
    while (true) {
      const item = await queue.get();
      queue.taskDone();
      if (item === STOP) return;
      sum += item;
    }
  };
  const consumers = Array.from({ length: CONSUMERS }, consumer);
  for (let i = 0; i < n; i++) await queue.put(i);
  await queue.join();
  for (let i = 0; i < CONSUMERS; i++) await queue.put(STOP);
  await Promise.all(consumers);
  if (sum !== (n * (n - 1)) / 2) throw new Error("lost items");
}

export const queueWorkload: Workload = {
  id: "queue",
  title: "Queue: 1 producer, 4 consumers, maxsize 100, 200k items, taskDone/join",
  unit: "s",
  n: 200_000,
  quickN: 20_000,
  runs: 5, // sub-100 ms runs: more of them steady the median
  warmup: 0.05,
  target: {
    text: "asyncio-ts Queue within 1.5× the floor, and ahead of Effect Queue.bounded",
    check: (get) => {
      const lib = get("queue", "asyncio-ts Queue(100)");
      const floor = get("queue", "floor: array + resolvers");
      const effect = get("queue", "Effect Queue.bounded(100)");
      if (lib === undefined || floor === undefined) return undefined;
      return lib <= 1.5 * floor && (effect === undefined || lib < effect);
    },
  },
  variants: [
    { name: "floor: array + resolvers", role: "floor", make: () => Promise.resolve({ run: queueFloor }) },
    { name: "floor inside AsyncLocalStorage.run", role: "peer", als: true, make: () => Promise.resolve(insideAls(queueFloor)) },
    {
      name: "asyncio-ts Queue(100)",
      role: "asyncio-ts",
      make: async () => {
        const { run, createTask, Queue } = await need("run", "createTask", "Queue");
        return {
          run: (n: number) =>
            run(async () => {
              const queue = new Queue<number>(MAXSIZE);
              let sum = 0;
              const consumers: TaskLike<void>[] = [];
              for (let c = 0; c < CONSUMERS; c++) {
                consumers.push(
                  createTask(async () => {
                    while (true) {
                      const item = await queue.get(); // read before `sum +=`: it awaits
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
            }),
        };
      },
    },
    {
      name: "Effect Queue.bounded(100)",
      role: "peer",
      make: async () => {
        const { Deferred, Effect, Fiber, Queue } = await import("effect");
        return {
          run: async (n: number) => {
            let sum = 0;
            let remaining = n;
            await Effect.runPromise(
              Effect.gen(function* () {
                const queue = yield* Queue.bounded<number>(MAXSIZE);
                const done = yield* Deferred.make<void>();
                const consumer = Effect.gen(function* () {
                  while (true) {
                    const item = yield* Queue.take(queue);
                    sum += item;
                    if (--remaining === 0) yield* Deferred.succeed(done, undefined);
                  }
                });
                const fibers = [];
                for (let c = 0; c < CONSUMERS; c++) fibers.push(yield* Effect.forkChild(consumer));
                for (let i = 0; i < n; i++) yield* Queue.offer(queue, i);
                yield* Deferred.await(done);
                for (const fiber of fibers) yield* Fiber.interrupt(fiber);
              }),
            );
            if (sum !== (n * (n - 1)) / 2) throw new Error("lost items");
          },
        };
      },
    },
    { name: "CPython asyncio.Queue(100)", role: "cpython", python: { script: "queue_.py" } },
  ],
};
