// asyncio.gather(): three simulated network calls of 1 s each finish in about 1 s together.
// With { returnExceptions: true } a failure becomes a result instead of rejecting the gather.
import { gather, getRunningLoop, run, sleep } from "../src/index.js";
import { defineExample } from "./harness.js";

interface User {
  id: number;
  name: string;
}

class UserNotFound extends Error {
  override name = "UserNotFound";
}

export default defineExample({
  name: "gather",
  title: "gather() three fetchUser calls: ~1 s, not ~3 s; returnExceptions",
  section: "asyncio.gather(): Run Coroutines Concurrently / Handling Errors in gather()",
  async main(ctx) {
    async function fetchUser(userId: number): Promise<User> {
      ctx.log(`Fetching user ${userId}...`);
      await sleep(1); // simulate a network call
      if (userId === 999) throw new UserNotFound(`user ${userId} does not exist`);
      return { id: userId, name: `User ${userId}` };
    }

    async function main(): Promise<void> {
      const loop = getRunningLoop();

      // Run all three concurrently: total time ~1s, not ~3s. Each function runs in a task of its own.
      let started = loop.time();
      const results = await gather(
        () => fetchUser(1),
        () => fetchUser(2),
        () => fetchUser(3),
      );
      ctx.log(JSON.stringify(results));
      ctx.timing("gather of three 1 s calls", loop.time() - started, 3);

      ctx.print("Handling errors: returnExceptions turns a failure into a value");
      started = loop.time();
      const mixed = await gather(
        () => fetchUser(1),
        () => fetchUser(2),
        () => fetchUser(999),
        { returnExceptions: true }, // don't throw: return errors as values
      );
      for (const result of mixed) {
        if (result instanceof Error) ctx.log(`Error: ${result.name}: ${result.message}`);
        else ctx.log(JSON.stringify(result));
      }
      ctx.timing("gather with returnExceptions", loop.time() - started, 3);
    }

    await run(main, ctx.runOptions());
  },
});
