/**
 * Issue 12's workloads, asyncio-ts/redis side by side with BullMQ on the same local redis-server
 * (one started per variant, persistence off; a machine without redis-server reports n/a):
 * queue throughput (put → get → taskDone round trips, 1 producer, 4 consumer processes) and
 * remote-executor latency for tiny jobs (one after another, one worker process).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { hasRedisServer, REDIS_MISSING, RedisServer } from "../../examples/redisServer.js";
import { NotExported } from "../api.js";
import type { Instance, Workload } from "../harness.js";

const CONSUMERS = 4;
const CONCURRENCY = 16;
/** Puts in flight at once from the one producer. */
const WINDOW = 64;
const CONSUMER = fileURLToPath(new URL("../workers/redis-consumer.ts", import.meta.url));

async function consumers(kind: string, url: string, name: string, count: number, concurrency: number): Promise<ChildProcess[]> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ["--import", "tsx", CONSUMER, kind, url, name, String(concurrency)], { stdio: ["ignore", "pipe", "inherit"] }),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
            if (line === "ready") resolve();
          });
          child.once("exit", (code) => reject(new Error(`${kind} consumer exited with ${code}`)));
        }),
    ),
  );
  return children;
}

/** A redis-server for one variant and the consumer processes on it; n/a without redis-server. */
async function setUp(kind: string, name: string, count: number, concurrency: number): Promise<{ server: RedisServer; children: ChildProcess[]; close: () => Promise<void> }> {
  if (!hasRedisServer()) throw new NotExported(REDIS_MISSING);
  const server = await RedisServer.start();
  const children = await consumers(kind, server.url, name, count, concurrency);
  return {
    server,
    children,
    close: async () => {
      for (const child of children) child.kill("SIGKILL");
      await server[Symbol.asyncDispose]();
    },
  };
}

/** Runs `put(i)` for i < n with at most WINDOW in flight. */
async function produce(n: number, put: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < n) await put(next++);
    }),
  );
}

async function asyncioQueue(): Promise<Instance> {
  const { RedisQueue } = await import("../../src/redis/index.js");
  const { run } = await import("../../src/index.js");
  const env = await setUp("asyncio", "bench", CONSUMERS, CONCURRENCY);
  return {
    run: (n) =>
      run(async () => {
        await using queue = await RedisQueue.open<number>("bench", { url: env.server.url });
        await produce(n, (i) => queue.put(i));
        await queue.join();
      }),
    close: env.close,
  };
}

async function bullQueue(): Promise<Instance> {
  const { Queue } = await import("bullmq");
  const env = await setUp("bullmq", "bench", CONSUMERS, CONCURRENCY);
  const queue = new Queue("bench", { connection: { host: "127.0.0.1", port: env.server.port } });
  return {
    run: async (n) => {
      await produce(n, (i) => queue.add("job", i, { removeOnComplete: true }));
      // Done when nothing waits or runs (completed jobs are removed).
      for (;;) {
        const counts = await queue.getJobCounts("wait", "active", "delayed", "prioritized", "waiting-children");
        if (Object.values(counts).every((c) => c === 0)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: async () => {
      await queue.close();
      await env.close();
    },
  };
}

async function asyncioExec(): Promise<Instance> {
  const { RedisExecutor } = await import("../../src/redis/index.js");
  const { run, fromModule } = await import("../../src/index.js");
  const env = await setUp("asyncio-exec", "bench", 1, 1);
  const add = fromModule<(a: number, b: number) => number>(new URL("../workers/add.js", import.meta.url), "add");
  return {
    run: (n) =>
      run(async () => {
        await using remote = new RedisExecutor({ url: env.server.url, name: "bench" });
        for (let i = 0; i < n; i++) if ((await remote.submit(add, i, 1)) !== i + 1) throw new Error("bad result");
      }),
    close: env.close,
  };
}

async function bullExec(): Promise<Instance> {
  const { Queue, QueueEvents } = await import("bullmq");
  const env = await setUp("bullmq-exec", "bench", 1, 1);
  const connection = { host: "127.0.0.1", port: env.server.port };
  const queue = new Queue("bench", { connection });
  const events = new QueueEvents("bench", { connection });
  await events.waitUntilReady();
  return {
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        const job = await queue.add("add", { a: i, b: 1 });
        if ((await job.waitUntilFinished(events)) !== i + 1) throw new Error("bad result");
      }
    },
    close: async () => {
      await events.close();
      await queue.close();
      await env.close();
    },
  };
}

export const redisQueueWorkload: Workload = {
  id: "redis-queue",
  clock: "wall", // work runs in other threads and processes: elapsed time is what a pool buys
  title: `redis: 100k put → get → taskDone round trips, 1 producer (${WINDOW} in flight), ${CONSUMERS} consumer processes × ${CONCURRENCY}`,
  unit: "s",
  n: 100_000,
  quickN: 5_000,
  runs: 2,
  warmup: 0.05,
  timeoutS: 600,
  target: {
    text: "asyncio-ts RedisQueue at least BullMQ's throughput",
    check: (get) => {
      const lib = get("redis-queue", "asyncio-ts RedisQueue");
      const peer = get("redis-queue", "BullMQ Queue + Worker");
      return lib === undefined || peer === undefined ? undefined : lib <= peer;
    },
  },
  variants: [
    { name: "asyncio-ts RedisQueue", role: "asyncio-ts", make: asyncioQueue },
    { name: "BullMQ Queue + Worker", role: "peer", make: bullQueue },
  ],
};

export const redisExecWorkload: Workload = {
  id: "redis-exec",
  clock: "wall", // work runs in other threads and processes: elapsed time is what a pool buys
  title: "redis: 2k tiny remote jobs one after another (latency × 2000), 1 worker process",
  unit: "s",
  n: 2_000,
  quickN: 200,
  runs: 3,
  warmup: 0.1,
  timeoutS: 300,
  target: {
    text: "asyncio-ts RedisExecutor latency at most BullMQ's (add + waitUntilFinished)",
    check: (get) => {
      const lib = get("redis-exec", "asyncio-ts RedisExecutor");
      const peer = get("redis-exec", "BullMQ add + waitUntilFinished");
      return lib === undefined || peer === undefined ? undefined : lib <= peer;
    },
  },
  variants: [
    { name: "asyncio-ts RedisExecutor", role: "asyncio-ts", make: asyncioExec },
    { name: "BullMQ add + waitUntilFinished", role: "peer", make: bullExec },
  ],
};
