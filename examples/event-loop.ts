// The Event Loop: one thread runs one task at a time, and switches at every `await`.
// While main() sleeps, the loop is free to run something else: here, a heartbeat task.
import { createTask, getRunningLoop, run, sleep } from "../src/index.js";
import { defineExample } from "./harness.js";

export default defineExample({
  name: "event-loop",
  title: "run() and sleep(): the loop runs other work while main() awaits",
  section: "The Event Loop",
  async main(ctx) {
    async function heartbeat(): Promise<void> {
      for (let beat = 1; beat <= 4; beat++) {
        await sleep(0.25);
        ctx.log(`  heartbeat ${beat} (main is still waiting)`);
      }
    }

    async function main(): Promise<void> {
      const loop = getRunningLoop();
      const started = loop.time();
      const beats = createTask(heartbeat, { name: "heartbeat" });
      ctx.log("Start");
      await sleep(1); // "I'm waiting — go run something else"
      ctx.log("Done");
      await beats;
      // Sequential code would sleep 1 s, then beat four times 0.25 s apart.
      ctx.timing("main's sleep(1) and four 0.25 s heartbeats", loop.time() - started, 1 + 4 * 0.25);
    }

    await run(main, ctx.runOptions()); // creates a loop, runs main() as its root task, cleans up
  },
});
