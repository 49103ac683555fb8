// Tasks: createTask() schedules work to run concurrently and returns at once; await it later.
import { createTask, getRunningLoop, run, sleep } from "../src/index.js";
import { defineExample } from "./harness.js";

export default defineExample({
  name: "tasks",
  title: "createTask(): fire now, await later",
  section: "Tasks: Fire and Don't Wait",
  async main(ctx) {
    async function backgroundJob(name: string, delay: number): Promise<void> {
      await sleep(delay);
      ctx.log(`${name} completed after ${delay}s`);
    }

    async function main(): Promise<void> {
      const loop = getRunningLoop();
      const started = loop.time();

      // Schedule tasks without waiting for them
      const task1 = createTask(() => backgroundJob("Job A", 2), { name: "Job A" });
      const task2 = createTask(() => backgroundJob("Job B", 1), { name: "Job B" });
      ctx.log("Tasks started, doing other work...");
      await sleep(0.5);
      ctx.log("Still doing other work...");

      // Wait for both tasks to finish
      await task1;
      await task2;
      ctx.log("All done");
      ctx.timing("two background jobs and 0.5 s of other work", loop.time() - started, 2 + 1 + 0.5);
    }

    await run(main, ctx.runOptions());
  },
});
