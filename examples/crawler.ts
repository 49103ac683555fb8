// A polite crawler, where the semaphore example leads: an endless two-host site (the tour's server
// and a mirror), crawled with mapConcurrent over the URLs it discovers (a Queue is the map's
// source, so it grows as pages link to new ones), a RateLimiter per host, retry on 5xx answers,
// and one deadline for the whole crawl (moveOnAfter): when it passes, the requests in flight are
// cancelled (their fetches aborted) and the crawl reports what it got.
import {
  currentSignal,
  getRunningLoop,
  mapConcurrent,
  moveOnAfter,
  Queue,
  RateLimiter,
  retry,
  run,
  sleep,
  createTask,
} from "../src/index.js";
import { defineExample } from "./harness.js";
import { startServer, type ServerStats } from "./server.js";

const CONCURRENCY = 4;
const RATE = 5; // requests per second, per host
const BURST = 2;
const DEADLINE = 4; // seconds for the whole crawl

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super(`HTTP ${status} for ${url}`);
  }
}

interface Page {
  url: string;
  title: string;
  links: string[];
}

export default defineExample({
  name: "crawler",
  title: "a polite crawler: mapConcurrent, a RateLimiter per host, retry on 5xx, one deadline",
  section: "Beyond the article: the toolkit (guide page 10)",
  async main(ctx) {
    const mirror = await startServer({ speed: ctx.speed });
    try {
      await run(async () => {
        const loop = getRunningLoop();
        const limiters = new Map<string, RateLimiter>();
        const sent = new Map<string, number[]>(); // per host: when each request went out
        const seen = new Set<string>();
        const frontier = new Queue<string>();
        let pending = 0; // discovered and not finished
        let crawled = 0;
        let retries = 0;
        let inFlight = 0;

        const discover = (url: string): void => {
          if (seen.has(url)) return;
          seen.add(url);
          pending++;
          frontier.putNowait(url);
        };

        const limiterFor = (host: string): RateLimiter => {
          let limiter = limiters.get(host);
          if (limiter === undefined) limiters.set(host, (limiter = new RateLimiter(RATE, 1, { burst: BURST })));
          return limiter;
        };

        const fetchPage = (url: string): Promise<Page> =>
          retry(
            async () => {
              const host = new URL(url).host;
              await limiterFor(host).acquire(); // every attempt, retries included, is rate limited
              const times = sent.get(host) ?? [];
              times.push(loop.time());
              sent.set(host, times);
              inFlight++;
              try {
                const response = await fetch(url, { signal: currentSignal() });
                const body = await response.text();
                if (response.status >= 500) throw new HttpError(response.status, url);
                const links = [...body.matchAll(/href="([^"]+)"/g)].map((m) => new URL(m[1] as string, url).href);
                return { url, title: /<title>([^<]*)<\/title>/.exec(body)?.[1] ?? url, links };
              } finally {
                inFlight--;
              }
            },
            {
              attempts: 3,
              initial: 0.2,
              retryOn: (e) => e instanceof HttpError && e.status >= 500,
              onRetry: (e) => {
                retries++;
                ctx.log(`retrying after ${(e as Error).message.replace(/\?.*/, "")}`);
              },
            },
          );

        const progress = (): string =>
          `crawled ${String(crawled).padStart(3)} · queued ${String(frontier.qsize()).padStart(3)} · in flight ${inFlight}/${CONCURRENCY} · retries ${retries}`;

        const display = createTask(async () => {
          for (;;) {
            if (ctx.interactive) ctx.live(`  [${ctx.elapsed().toFixed(2)}s] ${progress()}`);
            await sleep(0.1);
          }
        });

        await fetch(`${ctx.baseUrl}/stats/reset`, { method: "POST", signal: currentSignal() });
        ctx.print(`crawling ${ctx.baseUrl} and ${mirror.url}: ${CONCURRENCY} at a time, ${RATE}/s per host (burst ${BURST}), a ${DEADLINE} s deadline`);
        const started = loop.time();
        discover(`${ctx.baseUrl}/crawl/0?mirror=${encodeURIComponent(mirror.url)}`);
        const finished = await moveOnAfter(DEADLINE, async () => {
          for await (const page of mapConcurrent(frontier, fetchPage, { concurrency: CONCURRENCY, ordered: false })) {
            crawled++;
            for (const link of page.links) discover(link);
            if (--pending === 0) frontier.shutdown(); // nothing left to find: the source ends
            if (!ctx.interactive && crawled % 10 === 0) ctx.log(progress());
          }
        });
        display.cancel();
        ctx.live(`  [${ctx.elapsed().toFixed(2)}s] ${progress()}`, true);

        const elapsed = loop.time() - started;
        ctx.log(
          finished === undefined
            ? `deadline: stopped after ${elapsed.toFixed(1)}s with ${crawled} pages crawled and ${frontier.qsize()} still queued`
            : `the whole site crawled in ${elapsed.toFixed(1)}s`,
        );
        ctx.log(`retried ${retries} time(s) after a 503; in flight now: ${inFlight}`);
        for (const [host, times] of sent) {
          // The most requests in any 1 s window: the bucket allows burst + rate.
          let most = 0;
          for (const t of times) most = Math.max(most, times.filter((u) => u >= t && u <= t + 1 + 1e-9).length);
          ctx.log(`${host}: ${times.length} requests, at most ${most} in any 1 s window (limit ${BURST + RATE})`);
        }
        // An aborted fetch reaches the server as a closed socket a moment later: give it that moment.
        let stats: ServerStats;
        let mirrorStats: ServerStats;
        for (let i = 0; ; i++) {
          stats = (await (await fetch(`${ctx.baseUrl}/stats`, { signal: currentSignal() })).json()) as ServerStats;
          mirrorStats = mirror.stats();
          if (stats.inFlight + mirrorStats.inFlight === 0 || i === 20) break;
          await sleep(0.05);
        }
        ctx.log(`servers: ${stats.inFlight + mirrorStats.inFlight} request(s) still open, ${stats.aborted + mirrorStats.aborted} abandoned at the deadline`);
      }, ctx.runOptions());
    } finally {
      await mirror.close();
    }
  },
});
