// Coroutines: an async function runs when it is awaited. Awaiting one after the other is
// sequential; gather() runs them concurrently.
import { gather, getRunningLoop, run, sleep } from "../src/index.js";
import { defineExample } from "./harness.js";

export default defineExample({
  name: "greet",
  title: "await greet() twice (sequential) vs gather() (concurrent)",
  section: "Coroutines: async def and await",
  async main(ctx) {
    async function greet(name: string): Promise<void> {
      ctx.log(`Hello, ${name}`);
      await sleep(0.5);
      ctx.log(`Goodbye, ${name}`);
    }

    async function main(): Promise<void> {
      const loop = getRunningLoop();

      ctx.print("Sequential: each greet waits for the previous one to finish");
      let started = loop.time();
      await greet("Alice");
      await greet("Bob");
      ctx.timing("sequential greets", loop.time() - started, 1.0);

      ctx.print("Concurrent: gather() runs both in tasks of their own");
      started = loop.time();
      await gather(
        () => greet("Alice"),
        () => greet("Bob"),
      );
      ctx.timing("gathered greets", loop.time() - started, 1.0);
    }

    await run(main, ctx.runOptions());
  },
});
