// A consumer process for bench/workloads/redis.ts:
//   node --import tsx redis-consumer.ts <asyncio|bullmq|asyncio-exec|bullmq-exec> <redis url> <name> <concurrency>
// Prints "ready" once it consumes; runs until killed.
import { Worker } from "bullmq";
import { run, taskGroup } from "../../src/index.js";
import { RedisQueue, serveExecutor } from "../../src/redis/index.js";

const [kind = "", url = "", name = "", concurrencyText = "16"] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const { hostname: host, port } = new URL(url);

if (kind === "bullmq" || kind === "bullmq-exec") {
  const worker = new Worker(name, (job) => Promise.resolve(kind === "bullmq" ? undefined : (job.data as { a: number; b: number }).a + (job.data as { a: number; b: number }).b), {
    connection: { host, port: Number(port) },
    concurrency,
    removeOnComplete: { count: kind === "bullmq" ? 0 : 1000 },
  });
  await worker.waitUntilReady();
  process.stdout.write("ready\n");
} else if (kind === "asyncio") {
  await run(async () => {
    await using queue = await RedisQueue.open<number>(name, { url });
    process.stdout.write("ready\n");
    await taskGroup((tg) => {
      for (let i = 0; i < concurrency; i++) {
        void tg.createTask(async () => {
          for await (const job of queue) await queue.taskDone(job);
        });
      }
      return Promise.resolve();
    });
  });
} else if (kind === "asyncio-exec") {
  setTimeout(() => process.stdout.write("ready\n"), 300);
  await run(() => serveExecutor({ url, name, concurrency, modules: [new URL(".", import.meta.url).pathname] }));
} else {
  throw new Error(`unknown consumer kind ${kind}`);
}
