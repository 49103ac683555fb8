// Event: one task signals, every waiter wakes at once. Condition: tasks wait until a shared
// state satisfies a predicate, woken by notify() from whoever changed it.
import { Condition, createTask, Event, gather, getRunningLoop, run, sleep } from "../src/index.js";
import { defineExample } from "./harness.js";

export default defineExample({
  name: "event-condition",
  title: "Event: wake every waiter at once; Condition: wait for a predicate",
  section: "Locks and Synchronization (Event, Condition)",
  async main(ctx) {
    async function loadConfig(ready: Event, config: Map<string, string>): Promise<void> {
      await sleep(0.5); // read it from somewhere slow
      config.set("region", "eu-west");
      ctx.log("config loaded: setting the event");
      ready.set();
    }

    async function service(name: string, ready: Event, config: Map<string, string>): Promise<void> {
      ctx.log(`  ${name} waiting for the config`);
      await ready.wait();
      ctx.log(`  ${name} starts in ${config.get("region")}`);
      await sleep(0.3); // its own start-up work
    }

    async function consumer(name: string, condition: Condition, stock: string[]): Promise<string> {
      using _held = await condition.acquire();
      await condition.waitFor(() => stock.length > 0); // releases the lock while it waits
      const item = stock.shift() ?? "?";
      ctx.log(`  ${name} took ${item}`);
      return item;
    }

    async function restock(condition: Condition, stock: string[]): Promise<void> {
      for (let i = 1; i <= 3; i++) {
        await sleep(0.2);
        using _held = await condition.acquire();
        stock.push(`item-${i}`);
        ctx.log(`restocked item-${i}: notify one waiter`);
        condition.notify();
      }
    }

    async function main(): Promise<void> {
      const loop = getRunningLoop();

      let started = loop.time();
      const ready = new Event();
      const config = new Map<string, string>();
      await gather(
        ...["api", "worker", "scheduler"].map((name) => createTask(() => service(name, ready, config), { name })),
        createTask(() => loadConfig(ready, config), { name: "loader" }),
      );
      // One after the other: load (0.5 s), then three start-ups of 0.3 s.
      ctx.timing("three services waiting on one Event", loop.time() - started, 0.5 + 3 * 0.3);

      ctx.print("Condition: three consumers wait for stock; a restocker adds one item every 0.2 s");
      started = loop.time();
      const condition = new Condition();
      const stock: string[] = [];
      const taken = await gather(
        ...["c1", "c2", "c3"].map((name) => createTask(() => consumer(name, condition, stock), { name })),
        createTask(() => restock(condition, stock), { name: "restock" }),
      );
      ctx.log(`taken: ${taken.slice(0, 3).join(", ")}`);
      ctx.timing("three consumers served as stock arrives", loop.time() - started, 3 * 0.2);
    }

    await run(main, ctx.runOptions());
  },
});
