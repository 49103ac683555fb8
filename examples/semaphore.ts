// Semaphores: 20 real requests to the local server's /delay endpoint, at most 5 at a time.
// A monitor task shows live how many are in flight; the server confirms it never saw more.
import { createTask, currentSignal, gather, getRunningLoop, run, Semaphore, sleep } from "../src/index.js";
import { defineExample } from "./harness.js";
import type { ServerStats } from "./server.js";

const URLS = 20;
const LIMIT = 5;
const DELAY = 0.5; // the article asks httpbin for /delay/1; half that here

export default defineExample({
  name: "semaphore",
  title: "Semaphore(5) over 20 real HTTP requests, in flight shown live",
  section: "Semaphores: Limit Concurrency",
  async main(ctx) {
    let inFlight = 0;
    let peak = 0;
    let done = 0;

    async function fetchStatus(url: string, semaphore: Semaphore): Promise<number> {
      using _permit = await semaphore.acquire(); // only LIMIT tasks get past here at once
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        const response = await fetch(url, { signal: currentSignal() });
        await response.arrayBuffer(); // read the body, so the connection can be reused
        return response.status;
      } finally {
        inFlight--;
        done++;
      }
    }

    function bar(): string {
      return `in flight ${"■".repeat(inFlight)}${"□".repeat(LIMIT - inFlight)} ${inFlight}/${LIMIT}  done ${String(done).padStart(2)}/${URLS}`;
    }

    async function monitor(): Promise<never> {
      let last = "";
      while (true) {
        const line = bar();
        if (ctx.interactive) ctx.live(`  [${ctx.elapsed().toFixed(2)}s] ${line}`);
        else if (line !== last) ctx.log(line);
        last = line;
        await sleep(0.05);
      }
    }

    async function main(): Promise<void> {
      const loop = getRunningLoop();
      await fetch(`${ctx.baseUrl}/stats/reset`, { method: "POST", signal: currentSignal() });
      const urls = Array.from({ length: URLS }, (_, i) => `${ctx.baseUrl}/delay/${DELAY}?n=${i}`);
      const semaphore = new Semaphore(LIMIT); // max 5 concurrent requests
      ctx.print(`GET ${ctx.baseUrl}/delay/${DELAY}?n=0..${URLS - 1}, Semaphore(${LIMIT}) (the article's delay is 1 s)`);

      const started = loop.time();
      const display = createTask(monitor, { name: "monitor" });
      const results = await gather(...urls.map((url) => () => fetchStatus(url, semaphore)));
      display.cancel();
      ctx.live(`  [${ctx.elapsed().toFixed(2)}s] ${bar()}`, true);
      const elapsed = loop.time() - started;

      ctx.log(`statuses: ${JSON.stringify(results)}`);
      const stats = (await (await fetch(`${ctx.baseUrl}/stats`, { signal: currentSignal() })).json()) as ServerStats;
      ctx.log(`most in flight: ${peak} seen here, ${stats.maxInFlight} seen by the server (limit ${LIMIT})`);
      ctx.timing(`${URLS} requests of ${DELAY} s, ${LIMIT} at a time`, elapsed, URLS * DELAY);
    }

    await run(main, ctx.runOptions());
  },
});
