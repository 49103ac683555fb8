/**
 * `startMonitor()`: a live view of the running program's tasks, primitives, executors and loop
 * lag, in a browser (the page the monitor serves) or a terminal (`npx asyncio-ts ps URL`).
 *
 * The HTTP server runs in a worker thread, so the page still answers — with a "loop blocked"
 * banner — while the main thread spins. The main thread pays for a snapshot only when someone
 * asks for it; with nobody connected it runs two unref'd timers (a heartbeat every 0.1 s, which
 * also dates the tasks and waits started since the last one, and a lag sample every second).
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { currentLoop } from "../kernel/context.js";
import type { Loop } from "../kernel/loop.js";
import { observer, setObserver } from "../kernel/observe.js";
import { emitterWaitKind, waitForEvent } from "../io/emitterWait.js";
import { Collector } from "./collector.js";
import type { ServerSetup, ToMain, ToServer } from "./protocol.js";

/**
 * Options of `startMonitor()`.
 *
 * @example
 * await using monitor = await startMonitor({ port: 9000, warnAfter: 30 });
 */
export interface MonitorOptions {
  /** The address to bind; default `"127.0.0.1"` (loopback only). Anything else exposes the token-protected page to the network. */
  host?: string;
  /** The TCP port; default 0 (any free port; read it from `url`). */
  port?: number;
  /** The access token every request must carry; default 32 random hex digits. At least 16 characters. */
  token?: string;
  /** At most this many tasks in a snapshot or an update (default 1000); the rest are counted in `truncated`. */
  limit?: number;
  /** Warn about a wait, or a lock held across an await, older than this many seconds (default 10). */
  warnAfter?: number;
  /** The loop to watch; default the running one. Loops of tasks created later are found on their own. */
  loop?: Loop;
}

/**
 * A running monitor (see `startMonitor()`). `close()` stops it; `await using` closes it at scope exit.
 */
export interface Monitor {
  /** The page's address, with the access token: `http://127.0.0.1:PORT/?token=…`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops the server and the timers; closing twice is harmless. */
  close(): Promise<void>;
  /** `await using monitor = await startMonitor()`: `close()` at scope exit. */
  [Symbol.asyncDispose](): Promise<void>;
}

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const BEAT_MS = 100;
const TICK_MS = 200; // at most five updates a second to connected pages

let bundled: string | undefined;

/**
 * Running from source (tsx, the tests): Node does not hand the loader to worker threads, so the
 * server thread's module and its imports are bundled into one script with esbuild (tsx's own).
 */
function sourceBundle(): string {
  if (bundled !== undefined) return bundled;
  const esbuild = createRequire(import.meta.url)("esbuild") as { buildSync(options: object): { outputFiles: Array<{ text: string }> } };
  const result = esbuild.buildSync({
    entryPoints: [fileURLToPath(new URL("./serverThread.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    target: "node20",
    logLevel: "silent",
  });
  bundled = result.outputFiles[0]?.text ?? "";
  return bundled;
}

function check(options: MonitorOptions): Required<Omit<MonitorOptions, "loop">> {
  if (typeof options !== "object" || options === null) throw new TypeError(`startMonitor() expects an options object: received ${typeof options}`);
  const host = options.host ?? "127.0.0.1";
  if (typeof host !== "string" || host === "") throw new TypeError(`startMonitor() expects options.host to be a non-empty string: received ${typeof host}`);
  const port = options.port ?? 0;
  if (typeof port !== "number") throw new TypeError(`startMonitor() expects options.port to be a number: received ${typeof port}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`startMonitor() expects options.port to be an integer from 0 to 65535: received ${port}`);
  const token = options.token ?? randomBytes(16).toString("hex");
  if (typeof token !== "string") throw new TypeError(`startMonitor() expects options.token to be a string: received ${typeof token}`);
  if (token.length < 16 || !/^[\w.~-]+$/.test(token)) {
    throw new RangeError("startMonitor() expects options.token to be at least 16 URL-safe characters (letters, digits, _ . ~ -)");
  }
  const limit = options.limit ?? 1000;
  if (typeof limit !== "number") throw new TypeError(`startMonitor() expects options.limit to be a number: received ${typeof limit}`);
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`startMonitor() expects options.limit to be a positive integer: received ${String(limit)}`);
  const warnAfter = options.warnAfter ?? 10;
  if (typeof warnAfter !== "number") throw new TypeError(`startMonitor() expects options.warnAfter to be a number of seconds: received ${typeof warnAfter}`);
  if (!(warnAfter > 0)) throw new RangeError(`startMonitor() expects options.warnAfter to be a positive number of seconds: received ${String(warnAfter)}`);
  return { host, port, token, limit, warnAfter };
}

/**
 * Starts the live monitor: an HTTP server on loopback (by default) serving a page that shows every
 * pending task (what it awaits and since when), the locks, semaphores, events, conditions,
 * barriers and queues tasks wait on with their waiters in order, executor pools, loop lag and slow
 * callbacks, and lets you cancel a task. The same data is JSON: `GET /api/snapshot`,
 * `GET /api/events` (server-sent events), `POST /api/tasks/:id/cancel`. Every route needs the
 * token that `url` carries. Only one monitor runs at a time in a process.
 *
 * Debug mode (`run(main, { debug: true })`) adds each task's creation site and await stack, and
 * names the task behind each slow callback.
 *
 * @throws TypeError/RangeError for bad options; Error if a monitor is already running or the port is taken.
 * @example
 * await run(async () => {
 *   await using monitor = await startMonitor();
 *   console.error(`monitor: ${monitor.url}`);
 *   await serveForever();
 * });
 */
export function startMonitor(options: MonitorOptions = {}): Promise<Monitor> {
  // Bad options throw at the call, as everywhere in the library (not a rejected promise).
  const checked = check(options);
  if (observer !== null) return Promise.reject(new Error("startMonitor(): a monitor is already running in this process; close it first"));
  return start(checked, options.loop);
}

const STARTING = emitterWaitKind("startMonitor()");

async function start({ host, port, token, limit, warnAfter }: Required<Omit<MonitorOptions, "loop">>, watched: Loop | undefined): Promise<Monitor> {
  const loop = watched ?? currentLoop();
  const collector = new Collector(loop, { limit, warnAfter });
  setObserver(collector);

  const heartbeat = new SharedArrayBuffer(4);
  const beats = new Int32Array(heartbeat);
  const beatTimer = setInterval(() => {
    Atomics.add(beats, 0, 1);
    collector.heartbeat();
  }, BEAT_MS);
  beatTimer.unref();
  let tickTimer: NodeJS.Timeout | null = null;

  const setup: ServerSetup = { host, port, token, heartbeat, beat: BEAT_MS, blockedAfter: 0.5 };
  const worker = FROM_SOURCE
    ? new Worker(sourceBundle(), { eval: true, workerData: setup, name: "asyncio-ts monitor" })
    : new Worker(new URL("./serverThread.js", import.meta.url), { workerData: setup, name: "asyncio-ts monitor" });
  const post = (message: ToServer): void => worker.postMessage(message);

  let closed = false;
  const stopMain = (): void => {
    clearInterval(beatTimer);
    if (tickTimer !== null) clearInterval(tickTimer);
    tickTimer = null;
    collector.close();
    if (observer === collector) setObserver(null);
  };

  // The wait for "listening" is a parked wait of the calling task, so a cancel (or the task being
  // cancelled already) ends it and the catch below stops the thread: a monitor started by a
  // cancelled startMonitor() would otherwise run on, unreachable, and block every later one.
  const ready = new EventEmitter();
  ready.on("error", () => {}); // a failure after the wait ended (cancelled) is already handled
  let exited = false;
  worker.on("message", (message: ToMain) => {
    switch (message.t) {
      case "listening":
        ready.emit("listening", message.port);
        break;
      case "failed":
        ready.emit("error", new Error(`startMonitor(): cannot listen on ${host}:${port}: ${message.message}`));
        break;
      case "watch":
        if (message.on && tickTimer === null && !closed) {
          collector.resetBaseline(); // the snapshot the page gets next is the base of the diffs
          tickTimer = setInterval(() => {
            const diff = collector.diff();
            if (diff !== null) post({ t: "diff", data: diff });
          }, TICK_MS);
          tickTimer.unref();
        } else if (!message.on && tickTimer !== null) {
          clearInterval(tickTimer);
          tickTimer = null;
        }
        break;
      case "snapshot":
        post({ t: "snapshot", req: message.req, data: collector.snapshot() });
        break;
      case "cancel": {
        const task = collector.findTask(message.id);
        if (task === undefined) {
          post({ t: "cancel", req: message.req, status: 404, body: { id: message.id, cancelled: false, error: `no pending task with id ${message.id}` } });
        } else {
          const cancelled = task.cancel("cancelled from the monitor");
          post({ t: "cancel", req: message.req, status: 200, body: { id: message.id, cancelled } });
        }
        break;
      }
      case "blocked":
        collector.blocked(message.seconds);
        break;
    }
  });
  worker.on("error", (error) => ready.emit("error", error));
  worker.once("exit", (code) => {
    exited = true;
    // However the thread ended (close(), or a crash), nothing of the monitor may stay behind.
    stopMain();
    ready.emit("error", new Error(`startMonitor(): the monitor thread exited (code ${code}) before it listened`));
  });

  let actualPort: number;
  try {
    const [listeningPort] = await waitForEvent(worker, STARTING, ready, "listening", undefined);
    actualPort = listeningPort as number;
  } catch (error) {
    stopMain();
    await worker.terminate();
    throw error;
  }
  // The monitor never keeps the program alive: it watches, it does not own.
  worker.unref();
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${actualPort}/?token=${token}`;

  // One closing for every caller: a second close() waits for the same end, and a thread that
  // already died (it never should) is not waited for, as its "exit" has come and gone.
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (closing !== null) return closing;
    closed = true;
    stopMain();
    if (exited) return (closing = Promise.resolve());
    const ended = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    post({ t: "close" });
    const timer = setTimeout(() => void worker.terminate(), 1000);
    closing = ended.then(() => clearTimeout(timer));
    return closing;
  };
  return {
    url,
    port: actualPort,
    close,
    [Symbol.asyncDispose]: close,
  };
}
