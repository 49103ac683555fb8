// `npm run distributed`: the seed article's worker pool and process pool, across processes, on
// Redis (asyncio-ts/redis). It starts its own redis-server (when installed) and N worker
// processes; crawls the tour's local HTTP server through a RedisQueue and runs CPU jobs on a
// RedisExecutor; kills one worker with SIGKILL mid-run; and shows that nothing was lost.
//   npm run distributed [-- --workers 3 --pages 60]
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createClient } from "redis";
import { currentSignal, fromModule, gather, run, runInExecutor, sleep, taskGroup, waitFor } from "../src/index.js";
import { RedisExecutor, RedisQueue, serveExecutor } from "../src/redis/index.js";
import { hasRedisServer, REDIS_MISSING, RedisServer } from "./redisServer.js";
import { startServer } from "./server.js";

const self = fileURLToPath(import.meta.url);
const sumOfSquaresRange = fromModule<(start: number, end: number) => bigint>(new URL("./work.ts", import.meta.url), "sumOfSquaresRange");
const LEASE = 2; // seconds: a killed worker's pages come back this fast
interface Page {
  url: string;
}

/** A worker process: crawls pages from the queue (4 at a time) and serves CPU jobs (1 thread). */
async function worker(redisUrl: string): Promise<void> {
  const results = createClient({ url: redisUrl });
  await results.connect();
  await run(async () => {
    await using pages = await RedisQueue.open<Page>("crawl", { url: redisUrl, leaseSeconds: LEASE });
    await taskGroup((tg) => {
      for (let i = 0; i < 4; i++) {
        void tg.createTask(async () => {
          for await (const job of pages) {
            const response = await fetch(job.item.url, { signal: currentSignal() });
            await response.arrayBuffer();
            // Recorded before the acknowledgement: a page done twice (after a kill) shows up here twice.
            await results.rPush("crawl:done", `${job.item.url} ${process.pid} ${job.deliveries}`);
            await pages.taskDone(job);
          }
        });
      }
      void tg.createTask(() =>
        serveExecutor({ url: redisUrl, name: "cpu", concurrency: 1, modules: [fileURLToPath(new URL(".", import.meta.url))], leaseSeconds: LEASE }),
      );
      return Promise.resolve();
    });
  });
  await results.close();
}

async function main(workers: number, pageCount: number): Promise<void> {
  if (!hasRedisServer()) {
    console.log(REDIS_MISSING);
    console.log("(this example needs a local redis-server; nothing was run)");
    return;
  }
  await using redis = await RedisServer.start();
  const web = await startServer({ speed: 1 });
  const children: ChildProcess[] = [];
  try {
    console.log(`redis-server on ${redis.url}; the tour's web server on ${web.url}`);
    for (let i = 0; i < workers; i++) {
      const child = spawn(process.execPath, [...process.execArgv, self, "--worker", redis.url], { stdio: ["ignore", "inherit", "inherit"] });
      children.push(child);
    }
    console.log(`started ${workers} worker processes: ${children.map((c) => c.pid).join(", ")}`);
    await run(async () => {
      await using pages = await RedisQueue.open<Page>("crawl", { url: redis.url, leaseSeconds: LEASE });
      await using cpu = new RedisExecutor({ url: redis.url, name: "cpu" });
      for (let i = 0; i < pageCount; i++) await pages.put({ url: `${web.url}/delay/${(0.2 + (i % 5) * 0.1).toFixed(1)}?page=${i}` });
      console.log(`put ${pageCount} pages on the RedisQueue "crawl"`);
      const chunks = Array.from({ length: 8 }, (_, i) => [i * 250_000, (i + 1) * 250_000] as const);
      const sums = gather(...chunks.map(([a, b]) => runInExecutor(cpu, sumOfSquaresRange, a, b)));
      // Once a third of the pages are done, kill the worker that finished the latest one: it is busy.
      const watcher = createClient({ url: redis.url });
      await watcher.connect();
      while ((await watcher.lLen("crawl:done")) < pageCount / 3) await sleep(0.05);
      const last = (await watcher.lRange("crawl:done", -1, -1))[0];
      await watcher.close();
      const victim = children.find((c) => String(c.pid) === last?.split(" ")[1]) ?? children[0];
      victim?.kill("SIGKILL");
      console.log(`killed worker ${victim?.pid} with SIGKILL, mid-run (the pages it held come back after the ${LEASE} s lease)`);
      await waitFor(pages.join(), 60);
      const total = (await waitFor(sums, 60)).reduce((a, b) => a + b, 0n);
      const expected = (BigInt(2_000_000 - 1) * BigInt(2_000_000) * BigInt(2 * 2_000_000 - 1)) / 6n;
      console.log(`CPU jobs on the RedisExecutor: sum of squares below 2,000,000 = ${total} (${total === expected ? "correct" : "WRONG"})`);
      await pages.shutdown();
    });
    const client = createClient({ url: redis.url });
    await client.connect();
    const done = await client.lRange("crawl:done", 0, -1);
    await client.close();
    const distinct = new Set(done.map((line) => line.split(" ")[0]));
    const again = done.filter((line) => !line.endsWith(" 1")).length;
    console.log(`pages crawled: ${distinct.size}/${pageCount} distinct, ${done.length} fetches (${again} redelivered after the kill)`);
    console.log(distinct.size === pageCount ? "nothing was lost" : `LOST ${pageCount - distinct.size} pages`);
    if (distinct.size !== pageCount) process.exitCode = 1;
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once("exit", r)))));
    await web.close();
  }
}

const { values } = parseArgs({
  options: { worker: { type: "string" }, workers: { type: "string", default: "3" }, pages: { type: "string", default: "60" } },
});
if (values.worker !== undefined) await worker(values.worker);
else await main(Number(values.workers), Number(values.pages));
