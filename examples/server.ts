/**
 * A small httpbin-like server for the tour, so the examples make real HTTP requests with no
 * internet. It listens on a free loopback port (127.0.0.1, port 0).
 *
 * - `GET /delay/N`   responds after N seconds (a float, at most 60) with JSON describing the request.
 *                    If the client goes away first (an aborted `fetch`), the timer is stopped and
 *                    the request is counted as aborted.
 * - `GET /status/N`  responds with status N.
 * - `GET /json`      a fixed JSON document.
 * - `GET /stats`     `{ inFlight, maxInFlight, served, aborted }` since the last `POST /stats/reset`.
 * - `GET /crawl/N?mirror=ORIGIN`  page N of an endless site for the crawler example, after 0.1 s:
 *                    HTML linking to pages 2N+1 (here) and 2N+2 (on the mirror server, which links
 *                    back here). Every page whose number ends in 4 or 9 answers 503 to its first
 *                    request, as a flaky server does.
 *
 * `speed` makes delays shorter in real time (the tests run the tour at a few times speed): a
 * `/delay/1` then takes `1 / speed` seconds.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ServerStats {
  inFlight: number;
  maxInFlight: number;
  served: number;
  aborted: number;
}

export interface TourServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  stats(): ServerStats;
  close(): Promise<void>;
}

export interface ServerOptions {
  speed?: number;
  /** Told about requests the client abandoned (one line each). */
  log?: (line: string) => void;
}

const SAMPLE = {
  slideshow: {
    author: "Yours Truly",
    title: "Sample Slide Show",
    slides: [
      { title: "Wake up to WonderWidgets!", type: "all" },
      { title: "Overview", type: "all", items: ["Why WonderWidgets are great", "Who buys WonderWidgets"] },
    ],
  },
};

export async function startServer(options: ServerOptions = {}): Promise<TourServer> {
  const speed = options.speed ?? 1;
  const stats: ServerStats = { inFlight: 0, maxInFlight: 0, served: 0, aborted: 0 };

  const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };

  const crawlHits = new Map<number, number>();
  const crawlPage = (req: IncomingMessage, res: ServerResponse, url: URL, param: string): void => {
    const page = Number(param);
    if (!Number.isInteger(page) || page < 0) {
      sendJson(res, 400, { error: `page must be an integer ≥ 0: received ${param}` });
      return;
    }
    const hits = (crawlHits.get(page) ?? 0) + 1;
    crawlHits.set(page, hits);
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const self = `http://${req.headers.host ?? "127.0.0.1"}`;
    const mirror = url.searchParams.get("mirror");
    const timer = setTimeout(() => {
      if (page % 5 === 4 && hits === 1) {
        sendJson(res, 503, { error: "busy, try again" });
        return;
      }
      const here = `/crawl/${2 * page + 1}${mirror !== null ? `?mirror=${encodeURIComponent(mirror)}` : ""}`;
      const there = mirror !== null ? `${mirror}/crawl/${2 * page + 2}?mirror=${encodeURIComponent(self)}` : `/crawl/${2 * page + 2}`;
      const html = `<html><title>page ${page}</title><body><a href="${here}">next</a> <a href="${there}">elsewhere</a></body></html>`;
      res.writeHead(200, { "content-type": "text/html", "content-length": Buffer.byteLength(html) });
      res.end(html);
    }, 100 / speed);
    res.on("close", () => {
      stats.inFlight--;
      if (res.writableFinished) stats.served++;
      else {
        clearTimeout(timer);
        stats.aborted++;
      }
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const args = Object.fromEntries(url.searchParams);
    const [, route, param] = url.pathname.split("/");

    if (route === "delay" && param !== undefined) {
      const seconds = Number(param);
      if (!Number.isFinite(seconds) || seconds < 0 || seconds > 60) {
        sendJson(res, 400, { error: `delay must be between 0 and 60 seconds: received ${param}` });
        return;
      }
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      const started = performance.now();
      const timer = setTimeout(() => {
        sendJson(res, 200, { url: url.pathname + url.search, args, delay: seconds });
      }, (seconds * 1000) / speed);
      res.on("close", () => {
        stats.inFlight--;
        if (res.writableFinished) {
          stats.served++;
          return;
        }
        // The client went away before the answer: stop the work meant for it.
        clearTimeout(timer);
        stats.aborted++;
        const after = ((performance.now() - started) / 1000) * speed;
        options.log?.(`server: the client gave up on ${url.pathname} after ${after.toFixed(2)}s; stopped its timer`);
      });
      return;
    }
    if (route === "status" && param !== undefined) {
      const status = Number(param);
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        sendJson(res, 400, { error: `status must be an integer from 200 to 599: received ${param}` });
        return;
      }
      sendJson(res, status, { status });
      return;
    }
    if (route === "crawl" && param !== undefined) {
      crawlPage(req, res, url, param);
      return;
    }
    if (route === "json") {
      sendJson(res, 200, SAMPLE);
      return;
    }
    if (route === "stats") {
      if (param === "reset" && req.method === "POST") {
        Object.assign(stats, { maxInFlight: stats.inFlight, served: 0, aborted: 0 });
      }
      sendJson(res, 200, stats);
      return;
    }
    sendJson(res, 404, { error: `no route for ${url.pathname}` });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
