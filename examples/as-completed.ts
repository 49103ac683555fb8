// asCompleted() hands results over in the order they finish, not the order they were started;
// wait() returns the done and pending sets, for example as soon as the first one finishes.
import { asCompleted, createTask, FIRST_COMPLETED, getRunningLoop, run, sleep, wait } from "../src/index.js";
import { defineExample } from "./harness.js";

export default defineExample({
  name: "as-completed",
  title: "asCompleted(): results in completion order; wait(FIRST_COMPLETED)",
  section: "asyncio.wait() and as_completed()",
  async main(ctx) {
    async function slowOperation(n: number): Promise<number> {
      await sleep(n * 0.5);
      return n * 10;
    }

    async function main(): Promise<void> {
      const loop = getRunningLoop();

      // Started out of order on purpose: results still arrive fastest first.
      const order = [3, 1, 4, 2];
      ctx.log(`Starting slowOperation(${order.join("), slowOperation(")})`);
      let started = loop.time();
      const tasks = order.map((n) => createTask(() => slowOperation(n), { name: `op-${n}` }));

      // Process results as they complete (not in order)
      for (const next of asCompleted(tasks)) {
        const result = await next;
        ctx.log(`Got result: ${result}`);
      }
      ctx.timing("four operations of 0.5-2 s", loop.time() - started, 0.5 + 1 + 1.5 + 2);

      ctx.print("wait() with FIRST_COMPLETED returns as soon as one is done, and cancels nothing");
      started = loop.time();
      const racers = [2, 1, 3].map((n) => createTask(() => slowOperation(n), { name: `racer-${n}` }));
      const [done, pending] = await wait(racers, { returnWhen: FIRST_COMPLETED });
      const winner = racers.find((task) => done.has(task));
      ctx.log(`done: ${done.size} (${winner?.name ?? "?"} → ${String(winner?.result())}), still pending: ${pending.size}`);
      for (const task of pending) task.cancel(); // we only wanted the fastest answer
      const [, cancelled] = await wait(pending, { timeout: 1 });
      ctx.log(`cancelled the other ${pending.size}; pending after cancelling: ${cancelled.size}`);
      // Sequential code awaits the first one started (1 s) before it sees any answer.
      ctx.timing("first answer of three", loop.time() - started, 1);
    }

    await run(main, ctx.runOptions());
  },
});
