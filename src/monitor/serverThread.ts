/**
 * The monitor's server thread: the HTTP server (page, JSON, server-sent events), the token and
 * origin checks, and the watchdog that notices a blocked main thread. It asks the main thread for
 * snapshots and cancels by message; when the main thread does not answer in time it serves the
 * last state it knows, marked stale, with how long the loop has been blocked.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import { PAGE_HTML } from "./page.js";
import type { ServerSetup, ToMain, ToServer } from "./protocol.js";
import type { MonitorDiff, MonitorSnapshot } from "./schema.js";

const setup = workerData as ServerSetup;
const port = parentPort!;
const beats = new Int32Array(setup.heartbeat);
const ANSWER_WITHIN = 400; // ms the main thread gets before a stale answer is served

function send(message: ToMain): void {
  port.postMessage(message);
}

// ---- What the server knows of the main thread ----

let state: MonitorSnapshot | null = null;
let nextReq = 1;
const snapshotWaiters = new Map<number, (data: MonitorSnapshot) => void>();
const cancelWaiters = new Map<number, (status: number, body: object) => void>();
const clients = new Set<ServerResponse>();

function applyDiff(diff: MonitorDiff): void {
  if (state === null) return;
  const tasks = new Map(state.tasks.map((t) => [t.id, t]));
  for (const id of diff.removed) tasks.delete(id);
  for (const t of diff.tasks) tasks.set(t.id, t);
  state = {
    ...state,
    now: diff.now,
    tasks: [...tasks.values()].sort((a, b) => a.id - b.id),
    truncated: diff.truncated,
    primitives: diff.primitives,
    executors: diff.executors,
    lag: [...state.lag, ...diff.lag].slice(-60),
    slow: [...state.slow, ...diff.slow].slice(-50),
    warnings: diff.warnings,
  };
}

port.on("message", (message: ToServer) => {
  switch (message.t) {
    case "snapshot": {
      state = message.data;
      const waiter = snapshotWaiters.get(message.req);
      snapshotWaiters.delete(message.req);
      waiter?.(message.data);
      break;
    }
    case "diff":
      applyDiff(message.data);
      broadcast("diff", message.data);
      break;
    case "cancel": {
      const waiter = cancelWaiters.get(message.req);
      cancelWaiters.delete(message.req);
      waiter?.(message.status, message.body);
      break;
    }
    case "close":
      close();
      break;
  }
});

/** A fresh snapshot from the main thread, or the last known state marked stale if it does not answer. */
function snapshot(): Promise<MonitorSnapshot> {
  return new Promise((resolve) => {
    const req = nextReq++;
    const timer = setTimeout(() => {
      snapshotWaiters.delete(req);
      resolve(staleSnapshot());
    }, ANSWER_WITHIN);
    snapshotWaiters.set(req, (data) => {
      clearTimeout(timer);
      resolve(data);
    });
    send({ t: "snapshot", req });
  });
}

function staleSnapshot(): MonitorSnapshot {
  const base: MonitorSnapshot = state ?? {
    version: 1,
    pid: process.pid,
    title: "",
    now: Date.now(),
    started: Date.now(),
    tasks: [],
    truncated: 0,
    primitives: [],
    executors: [],
    lag: [],
    slow: [],
    warnings: [],
    blocked: 0,
    stale: true,
  };
  return { ...base, blocked: blockedSeconds(), stale: true };
}

// ---- The watchdog ----

let lastBeat = beats[0]!;
let lastBeatAt = Date.now();
let wasBlocked = false;

function blockedSeconds(): number {
  const silent = (Date.now() - lastBeatAt) / 1000;
  return silent >= setup.blockedAfter ? silent : 0;
}

const watchdog = setInterval(() => {
  const beat = Atomics.load(beats, 0);
  if (beat !== lastBeat) {
    const silent = (Date.now() - lastBeatAt) / 1000;
    lastBeat = beat;
    lastBeatAt = Date.now();
    if (wasBlocked) {
      wasBlocked = false;
      send({ t: "blocked", seconds: silent });
      broadcast("blocked", { seconds: 0 });
    }
    return;
  }
  const seconds = blockedSeconds();
  if (seconds > 0) {
    wasBlocked = true;
    broadcast("blocked", { seconds });
  }
}, 250);

// ---- Server-sent events ----

function broadcast(event: string, data: unknown): void {
  if (clients.size === 0) return;
  const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const res of clients) res.write(frame);
}

const keepAlive = setInterval(() => {
  for (const res of clients) res.write(": keep-alive\n\n");
}, 15_000);

function openEvents(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/event-stream", Connection: "keep-alive" });
  res.write("retry: 1000\n\n");
  clients.add(res);
  if (clients.size === 1) send({ t: "watch", on: true });
  req.on("close", () => {
    clients.delete(res);
    if (clients.size === 0) send({ t: "watch", on: false });
  });
  void snapshot().then((data) => {
    if (clients.has(res)) res.write(`event: snapshot\ndata: ${JSON.stringify(data)}\n\n`);
  });
}

// ---- HTTP ----

const SECURITY_HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy":
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": "application/json; charset=utf-8" });
  res.end(text);
}

const tokenBytes = Buffer.from(setup.token);

function tokenMatches(given: string): boolean {
  const bytes = Buffer.from(given);
  return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
}

/** Host names a request may name: the loopback names, or the host the monitor was told to bind. */
function allowedHosts(actualPort: number): Set<string> {
  const names = ["127.0.0.1", "localhost", "[::1]"];
  if (setup.host !== "127.0.0.1" && setup.host !== "0.0.0.0" && setup.host !== "::") names.push(setup.host.includes(":") ? `[${setup.host}]` : setup.host);
  return new Set(names.map((n) => `${n}:${actualPort}`));
}

let hosts = new Set<string>();

function handle(req: IncomingMessage, res: ServerResponse): void {
  // An error in this thread kills the monitor (and close() would wait for it): a request it
  // cannot handle is answered, never thrown.
  try {
    route(req, res);
  } catch (error) {
    if (!res.headersSent) reply(res, 500, { error: `the monitor failed on this request: ${(error as Error).message}` });
    else res.destroy();
  }
}

function parseTarget(target: string): URL | null {
  try {
    return new URL(target, "http://monitor.invalid");
  } catch {
    return null;
  }
}

function route(req: IncomingMessage, res: ServerResponse): void {
  // The request target is the client's to choose: "GET http://[ HTTP/1.1" is no URL at all.
  const url = parseTarget(req.url ?? "/");
  if (url === null) {
    reply(res, 400, { error: "the request target is not a URL" });
    return;
  }
  // A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends its own Host.
  if (setup.host !== "0.0.0.0" && setup.host !== "::" && !hosts.has(req.headers.host ?? "")) {
    reply(res, 403, { error: "unexpected Host header" });
    return;
  }
  const header = req.headers["x-monitor-token"];
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  const given = (typeof header === "string" ? header : undefined) ?? bearer ?? url.searchParams.get("token");
  if (given === null || given === "") {
    reply(res, 401, { error: "the monitor needs its access token: open the URL it printed (…/?token=…)" });
    return;
  }
  if (!tokenMatches(given)) {
    reply(res, 403, { error: "wrong access token" });
    return;
  }
  const path = url.pathname;
  if (req.method === "GET" && (path === "/" || path === "/index.html")) {
    res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8" });
    res.end(PAGE_HTML);
    return;
  }
  if (req.method === "GET" && path === "/api/snapshot") {
    void snapshot().then((data) => reply(res, 200, data));
    return;
  }
  if (req.method === "GET" && path === "/api/events") {
    openEvents(req, res);
    return;
  }
  const cancel = /^\/api\/tasks\/(\d+)\/cancel$/.exec(path);
  if (cancel !== null) {
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      reply(res, 405, { error: "cancel is a POST" });
      return;
    }
    // A cross-site page's form post or simple fetch carries an Origin or Sec-Fetch-Site that gives
    // it away (both checked, so either alone suffices); no CORS headers are ever sent, so it cannot
    // add a header either (the preflight fails). The token may come as on every route (header,
    // Bearer or the printed URL's ?token=): a client without a browser could send a header anyway.
    const origin = req.headers.origin;
    if (typeof origin === "string" && !hosts.has(origin.replace(/^https?:\/\//, ""))) {
      reply(res, 403, { error: "cross-origin request refused" });
      return;
    }
    const site = req.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      reply(res, 403, { error: "cross-site request refused" });
      return;
    }
    const id = Number(cancel[1]);
    const req2 = nextReq++;
    const timer = setTimeout(() => {
      cancelWaiters.delete(req2);
      reply(res, 503, { id, cancelled: false, error: `the event loop is blocked (${blockedSeconds().toFixed(1)} s): the cancel was not delivered` });
    }, 2000);
    cancelWaiters.set(req2, (status, body) => {
      clearTimeout(timer);
      reply(res, status, body);
    });
    send({ t: "cancel", req: req2, id });
    return;
  }
  reply(res, 404, { error: `no route ${req.method ?? ""} ${path}` });
}

const server = createServer(handle);
server.on("error", (error: NodeJS.ErrnoException) => {
  send({ t: "failed", message: error.message, code: error.code });
});
server.listen(setup.port, setup.host, () => {
  const address = server.address();
  const actual = typeof address === "object" && address !== null ? address.port : setup.port;
  hosts = allowedHosts(actual);
  send({ t: "listening", port: actual, address: typeof address === "object" && address !== null ? address.address : setup.host });
});

function close(): void {
  clearInterval(watchdog);
  clearInterval(keepAlive);
  for (const res of clients) res.end();
  clients.clear();
  server.closeAllConnections();
  server.close(() => port.close());
}
