// Timeouts: waitFor() and timeout() cancel the work that outlives its deadline, wait for it to
// unwind, then throw TimeoutError. With currentSignal(), cancellation reaches a real fetch too.
import { CancelledError, currentSignal, getRunningLoop, run, sleep, timeout, TimeoutError, waitFor } from "../src/index.js";
import { defineExample } from "./harness.js";
import type { ServerStats } from "./server.js";

// The article gives up after 2 s; the tour waits 1 s to keep moving.
const LIMIT = 1.0;

export default defineExample({
  name: "timeouts",
  title: "waitFor() and timeout(): give up, cancel, unwind; a real fetch aborted",
  section: "Timeouts",
  async main(ctx) {
    async function slowApiCall(): Promise<{ data: string }> {
      try {
        await sleep(10); // takes forever
        return { data: "..." };
      } catch (error) {
        if (error instanceof CancelledError) ctx.log("  slowApiCall: cancelled in its sleep(10), cleaning up");
        throw error; // re-throw, so the timeout knows the work unwound
      }
    }

    async function anotherCall(): Promise<string> {
      await sleep(0.1);
      return "other";
    }

    async function fetchSlowly(seconds: number): Promise<unknown> {
      // currentSignal() aborts when this task is cancelled: the request itself is dropped.
      const response = await fetch(`${ctx.baseUrl}/delay/${seconds}`, { signal: currentSignal() });
      return response.json();
    }

    async function main(): Promise<void> {
      const loop = getRunningLoop();
      await fetch(`${ctx.baseUrl}/stats/reset`, { method: "POST", signal: currentSignal() });
      ctx.print(`(The article's timeouts are 2 s; ${LIMIT} s here.)`);

      let started = loop.time();
      try {
        // Throws TimeoutError if it takes more than LIMIT seconds
        const result = await waitFor(slowApiCall, LIMIT);
        ctx.log(`result: ${JSON.stringify(result)}`);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        ctx.log("Request timed out");
      }
      ctx.timing("waitFor(slowApiCall, 1)", loop.time() - started, 10);

      started = loop.time();
      try {
        await timeout(LIMIT, async () => {
          const result = await slowApiCall();
          const otherResult = await anotherCall();
          return [result, otherResult];
        });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        ctx.log("Timed out");
      }
      ctx.timing("timeout(1, ...) around two calls", loop.time() - started, 10.1);

      ctx.print(`A real request: GET /delay/10 on the local server, given ${LIMIT / 2} s`);
      started = loop.time();
      try {
        await waitFor(() => fetchSlowly(10), LIMIT / 2);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        ctx.log("fetch timed out, and its connection was closed");
      }
      ctx.timing("waitFor(fetch /delay/10, 0.5)", loop.time() - started, 10);

      // The server notices the closed connection a moment later; ask it (for at most ten seconds:
      // a moment is longer on a busy machine).
      const aborted = await timeout(10, async () => {
        while (true) {
          const stats = (await (await fetch(`${ctx.baseUrl}/stats`, { signal: currentSignal() })).json()) as ServerStats;
          if (stats.aborted > 0) return stats.aborted;
          await sleep(0.02);
        }
      });
      ctx.log(`the server counts ${aborted} abandoned request(s)`);
    }

    await run(main, ctx.runOptions());
  },
});
