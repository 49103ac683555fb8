// Locks: 100 tasks increment a shared counter that yields in the middle of its update.
// Without the lock every task reads the same old value; with it, the count is exactly 100.
import { createTask, gather, getRunningLoop, Lock, run, sleep } from "../src/index.js";
import { defineExample } from "./harness.js";

class Counter {
  value = 0;
  private readonly lock = new Lock();

  async increment(): Promise<void> {
    using _held = await this.lock.acquire(); // `async with self._lock:`; released at the block's end
    const current = this.value;
    await sleep(0); // yield to the event loop (simulate real work)
    this.value = current + 1;
  }

  /** The same update without the lock: a read-modify-write race. */
  async incrementUnsafely(): Promise<void> {
    const current = this.value;
    await sleep(0);
    this.value = current + 1;
  }
}

export default defineExample({
  name: "lock",
  title: "a Counter under a Lock: 100 tasks → 100 (and without it)",
  section: "Locks and Synchronization",
  async main(ctx) {
    async function main(): Promise<void> {
      const loop = getRunningLoop();

      const unsafe = new Counter();
      await gather(...Array.from({ length: 100 }, () => createTask(() => unsafe.incrementUnsafely())));
      ctx.log(`Without the lock: ${unsafe.value} (every task read the value before anyone wrote it)`);

      const started = loop.time();
      const counter = new Counter();
      const tasks = Array.from({ length: 100 }, () => createTask(() => counter.increment()));
      await gather(...tasks);
      ctx.log(`Final count: ${counter.value}`); // 100, not some race-condition number
      // The lock serialises the updates: the same as doing them one by one, and correct.
      ctx.timing("100 locked increments", loop.time() - started, loop.time() - started);
    }

    await run(main, ctx.runOptions());
  },
});
