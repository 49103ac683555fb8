// Queues: a producer feeds three workers through a Queue with room for 5 items. Part 1 stops
// the workers with one sentinel each, as the article does; part 2 uses queue.shutdown() and
// `for await`, and shows put() waiting while the queue is full.
import { createTask, gather, getRunningLoop, Queue, run, sleep } from "../src/index.js";
import { defineExample } from "./harness.js";

/** A small seeded generator, so every run produces the same delays. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const WORKERS = 3;
const WORK = 0.3; // seconds a worker spends on one item

export default defineExample({
  name: "queue",
  title: "Queue(5): a producer and three workers, stopped by sentinels, then by shutdown()",
  section: "Queues: Producer-Consumer Pattern",
  async main(ctx) {
    const random = seededRandom(7);
    const uniform = (low: number, high: number): number => low + (high - low) * random();
    let produceTime = 0;

    // Part 1, as in the article. (Its producer waits 0.1–0.5 s per item; half that here.)
    async function producer(queue: Queue<string | null>, numItems: number): Promise<void> {
      for (let i = 0; i < numItems; i++) {
        const pause = uniform(0.05, 0.25);
        produceTime += pause;
        await sleep(pause);
        const item = `task_${i}`;
        await queue.put(item);
        ctx.log(`Produced: ${item}`);
      }
      // Signal workers to stop: one sentinel per worker
      for (let i = 0; i < WORKERS; i++) await queue.put(null);
    }

    async function worker(name: string, queue: Queue<string | null>): Promise<void> {
      while (true) {
        const item = await queue.get();
        if (item === null) break;
        ctx.log(`  ${name} processing ${item}`);
        await sleep(WORK); // simulate work
        queue.taskDone();
      }
      ctx.log(`  ${name} shutting down`);
    }

    // Part 2: no sentinels. Workers iterate the queue until it is shut down and drained.
    async function shutdownWorker(name: string, queue: Queue<string>): Promise<number> {
      let handled = 0;
      for await (const item of queue) {
        ctx.log(`  ${name} processing ${item}`);
        await sleep(WORK);
        queue.taskDone();
        handled++;
      }
      ctx.log(`  ${name} done: queue shut down after ${handled} item(s)`);
      return handled;
    }

    async function main(): Promise<void> {
      const loop = getRunningLoop();
      let started = loop.time();
      const queue = new Queue<string | null>(5); // buffer of 5 items

      // Start 3 workers
      const workers = Array.from({ length: WORKERS }, (_, i) =>
        createTask(() => worker(`Worker-${i}`, queue), { name: `Worker-${i}` }),
      );
      await producer(queue, 10);
      await gather(...workers);
      ctx.timing("10 items through 3 workers", loop.time() - started, produceTime + 10 * WORK);

      ctx.print("Part 2: 8 items put at once into a queue of 5; shutdown() instead of sentinels");
      started = loop.time();
      const jobs = new Queue<string>(5);
      const readers = Array.from({ length: WORKERS }, (_, i) =>
        createTask(() => shutdownWorker(`Reader-${i}`, jobs), { name: `Reader-${i}` }),
      );
      for (let i = 0; i < 8; i++) {
        const waited = jobs.full();
        await jobs.put(`job_${i}`); // waits while the queue is full
        ctx.log(`Put job_${i}${waited ? " (after waiting for room)" : ""}, ${jobs.qsize()} queued`);
      }
      await jobs.join(); // every item taken and marked done
      jobs.shutdown(); // wakes the readers: their `for await` ends
      const handled = await gather(...readers);
      ctx.log(`handled per reader: ${handled.join(", ")}`);
      ctx.timing("8 items through 3 readers", loop.time() - started, 8 * WORK);
    }

    await run(main, ctx.runOptions());
  },
});
