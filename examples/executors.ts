// Running blocking code: a file read on a ThreadPoolExecutor, and CPU-heavy work on a
// ProcessPoolExecutor and a ThreadPoolExecutor, while a heartbeat task shows the loop stays free.
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import {
  createTask,
  fromModule,
  gather,
  getRunningLoop,
  ProcessPoolExecutor,
  run,
  runInExecutor,
  sleep,
  ThreadPoolExecutor,
} from "../src/index.js";
import { defineExample } from "./harness.js";
import { sumOfSquares as sumOnTheLoop, sumOfSquaresRange as rangeOnTheLoop } from "./work.js";

// A function of ./work.ts, named so workers can import it.
const work = new URL("./work.ts", import.meta.url);
const sumOfSquares = fromModule<typeof sumOnTheLoop>(work, "sumOfSquares");

export default defineExample({
  name: "executors",
  title: "ThreadPoolExecutor and ProcessPoolExecutor: blocking and CPU-heavy work off the loop",
  section: "Running Blocking Code in asyncio",
  async main(ctx) {
    // For blocking I/O: the function is sent to a worker thread as source, so it imports what it needs.
    async function readFileAsync(path: string): Promise<string> {
      await using pool = new ThreadPoolExecutor();
      return await runInExecutor(pool, async (p: string) => (await import("node:fs")).readFileSync(p, "utf8"), path);
    }

    /** Counts heartbeats (one per 0.05 s when the loop is free) while `work` runs. */
    async function beatsDuring<T>(work: () => Promise<T> | T): Promise<{ value: T; beats: number; seconds: number }> {
      const loop = getRunningLoop();
      let beats = 0;
      const heartbeat = createTask(async () => {
        while (true) {
          await sleep(0.05);
          beats++;
        }
      }, { name: "heartbeat" });
      await sleep(0); // let the heartbeat start
      const started = loop.time();
      const value = await work();
      const seconds = loop.time() - started;
      heartbeat.cancel();
      return { value, beats, seconds };
    }

    async function main(): Promise<void> {
      const source = await readFileAsync(fileURLToPath(import.meta.url));
      ctx.log(`read ${source.split("\n").length} lines of executors.ts in a worker thread: ${JSON.stringify(source.split("\n")[0])}`);

      // For CPU-heavy work: the article's sum of squares of a million numbers.
      const data = Array.from({ length: 1_000_000 }, (_, i) => i);
      const onLoop = await beatsDuring(() => sumOnTheLoop(data));
      ctx.log(`on the loop:      ${onLoop.value} in ${onLoop.seconds.toFixed(2)}s, heartbeats meanwhile: ${onLoop.beats}`);
      const inProcess = await beatsDuring(async () => {
        await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
        return await runInExecutor(pool, sumOfSquares, data);
      });
      ctx.log(`in a process:     ${inProcess.value} in ${inProcess.seconds.toFixed(2)}s (start-up included), heartbeats meanwhile: ${inProcess.beats}`);
      ctx.timing("1M squares in a ProcessPoolExecutor, loop free", inProcess.seconds, onLoop.seconds);

      // Twelve million squares (fewer when the tests speed the tour up).
      const chunk = Math.round(3_000_000 / ctx.speed);
      ctx.print(`${(4 * chunk).toLocaleString("en")} squares in 4 chunks: on the loop, then on 2 worker threads (this machine has ${availableParallelism()} cores)`);
      const chunks = [0, 1, 2, 3].map((i) => [i * chunk, (i + 1) * chunk] as const);
      const sequential = await beatsDuring(() => chunks.reduce((sum, [start, end]) => sum + rangeOnTheLoop(start, end), 0n));
      ctx.log(`on the loop:      ${sequential.value} in ${sequential.seconds.toFixed(2)}s, heartbeats meanwhile: ${sequential.beats}`);
      await using threads = new ThreadPoolExecutor({ maxWorkers: 2 });
      // Start both threads first (a one-time cost, shown apart from the work).
      const loop = getRunningLoop();
      const warming = loop.time();
      await gather(threads.submit(() => 0), threads.submit(() => 0));
      ctx.log(`2 threads started in ${(loop.time() - warming).toFixed(2)}s`);
      const parallel = await beatsDuring(async () => {
        // A self-contained function this time: sent to the threads as source, it sees only its arguments.
        const squares = (start: number, end: number): bigint => {
          let total = 0n;
          for (let x = start; x < end; x++) {
            const big = BigInt(x);
            total += big * big;
          }
          return total;
        };
        const parts = await gather(...chunks.map(([start, end]) => threads.submit(squares, start, end)));
        return parts.reduce((sum, part) => sum + part, 0n);
      });
      ctx.log(`on 2 threads:     ${parallel.value} in ${parallel.seconds.toFixed(2)}s, heartbeats meanwhile: ${parallel.beats}`);
      // Two threads can halve the time only when two cores are free.
      ctx.timing(`${(4 * chunk) / 1e6}M squares on 2 threads`, parallel.seconds, sequential.seconds);
    }

    await run(main, ctx.runOptions());
  },
});
