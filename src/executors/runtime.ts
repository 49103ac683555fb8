/**
 * The inside of a worker (thread or process): turns a job message into a call and the call's
 * outcome into a reply. Work is compiled (source) or imported (module) once per worker and cached
 * by work id, so a stream of tiny jobs costs one message each way and one call.
 *
 * A source function is compiled in a scope of its own, where only globals, `transfer` and
 * esbuild's `__name` helper (tsx adds calls to it) are visible. A ReferenceError thrown by the
 * compiled function itself means it used a variable of the scope it was written in; the reply
 * says so and points to `fromModule()`.
 */
import type { TransferListItem } from "node:worker_threads";
import { isTransferMarker, transfer, type TransferMarker } from "./transfer.js";
import { OK, replyForThrown, type JobMessage, type ReplyMessage, type WireWork } from "./wire.js";

type AnyFunction = (...args: unknown[]) => unknown;

/** Sends a reply to the pool; `transferList` moves buffers instead of copying them. */
export type Reply = (message: ReplyMessage, transferList: readonly TransferListItem[] | undefined) => void;

const SOURCE_URL = "asyncio-ts-executor:";

function keepName<T extends object>(target: T, value: string): T {
  try {
    Object.defineProperty(target, "name", { value, configurable: true });
  } catch {
    // A name is cosmetic.
  }
  return target;
}

/** Work loaded in this worker, by work id. */
interface Loaded {
  /** The function, once compiled or imported. */
  fn: AnyFunction | null;
  /** The import in progress (or failed: it keeps failing the same way). */
  pending: Promise<AnyFunction> | null;
  fromSource: boolean;
}
const loaded = new Map<number, Loaded>();

function compile(id: number, source: string, name: string): AnyFunction {
  const label = `${SOURCE_URL}${name === "" ? "anonymous" : name.replace(/[^\w$]/g, "_")}-${id}.js`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiling the work sent as source is the point
  const factory = new Function("transfer", "__name", `"use strict";return (${source}\n);\n//# sourceURL=${label}`) as (
    t: typeof transfer,
    n: typeof keepName,
  ) => unknown;
  const fn = factory(transfer, keepName);
  if (typeof fn !== "function") throw new TypeError(`the work sent as source did not evaluate to a function: ${typeof fn}`);
  return fn as AnyFunction;
}

let tsxApiUrl: string | null = null;
let tsxReady: Promise<void> | null = null;

/** The parent runs under tsx: register it here before the first TypeScript module is imported. */
export function setTsxApi(url: string | null): void {
  tsxApiUrl = url;
}

function registerTsx(url: string): Promise<void> {
  return (tsxReady ??= import(url).then((api: { register: () => unknown }) => {
    api.register();
  }));
}

const TS_FILE = /\.[cm]?tsx?$/;

async function importModule(url: string): Promise<Record<string, unknown>> {
  const api = tsxApiUrl;
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // not a URL: test the string itself
  }
  if (api !== null && TS_FILE.test(path)) await registerTsx(api);
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // A .js module that imports a .ts one (or a tsx-style "./x.js" naming x.ts): retry under tsx.
    if (api !== null && tsxReady === null && (code === "ERR_UNKNOWN_FILE_EXTENSION" || code === "ERR_MODULE_NOT_FOUND")) {
      await registerTsx(api);
      return (await import(url)) as Record<string, unknown>;
    }
    throw error;
  }
}

async function importExport(url: string, exportName: string): Promise<AnyFunction> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(url);
  } catch (error) {
    const hint = TS_FILE.test(url)
      ? " (a TypeScript module needs the parent to run under a TS loader such as tsx: node --import tsx)"
      : "";
    throw new Error(`fromModule(): could not import ${url}${hint}: ${String((error as Error)?.message ?? error)}`, { cause: error });
  }
  const fn = namespace[exportName];
  if (typeof fn !== "function") {
    const names = Object.keys(namespace).join(", ");
    throw new TypeError(
      `fromModule(): export "${exportName}" of ${url} is not a function (it is ${fn === null ? "null" : typeof fn}); the module exports: ${names || "nothing"}`,
    );
  }
  return fn as AnyFunction;
}

function load(id: number, work: WireWork): Loaded {
  if ("source" in work) return { fn: compile(id, work.source, work.name), pending: null, fromSource: true };
  const entry: Loaded = { fn: null, pending: importExport(work.url, work.exportName), fromSource: false };
  entry.pending?.then(
    (fn) => {
      entry.fn = fn;
      entry.pending = null;
    },
    () => undefined, // reported to each job that waits on it
  );
  return entry;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** A ReferenceError thrown by the compiled function's own code: it used a variable it does not have. */
function explainCapture(error: unknown): unknown {
  if (!(error instanceof ReferenceError) || typeof error.stack !== "string") return error;
  const firstFrame = error.stack.split("\n").find((line) => line.trimStart().startsWith("at "));
  if (firstFrame === undefined || !firstFrame.includes(SOURCE_URL)) return error;
  const name = /^(\S+) is not defined/.exec(error.message)?.[1];
  const explained = new ReferenceError(
    `${error.message} in the worker. A function run by an executor is sent as source text and runs in the worker ` +
      `without the variables around the place it was written${name !== undefined ? ` (here "${name}")` : ""}: make it ` +
      `self-contained (pass values as arguments, import modules inside it with await import()), or export it from a ` +
      `module and pass fromModule(url, "name") instead.`,
    { cause: error },
  );
  explained.stack = `ReferenceError: ${explained.message}\n${error.stack.split("\n").slice(1).join("\n")}`;
  return explained;
}

// The job's value is foreign code: reading its `then` or the transfer mark may run a getter or a
// Proxy trap that throws. Such a throw fails the job (as `await value` would); it must never
// escape into the worker's own code, which would kill the worker.

function sendResult(value: unknown, reply: Reply, fromSource: boolean): void {
  let marked: boolean;
  try {
    marked = isTransferMarker(value);
  } catch (error) {
    sendError(error, reply, fromSource);
    return;
  }
  if (marked) reply([OK, (value as TransferMarker).value], (value as TransferMarker).list);
  else reply([OK, value], undefined);
}

function sendError(error: unknown, reply: Reply, fromSource: boolean): void {
  let thrown = error;
  if (fromSource) {
    try {
      thrown = explainCapture(error);
    } catch {
      // not a ReferenceError we can read: send it as it is
    }
  }
  reply(replyForThrown(thrown), undefined);
}

function call(fn: AnyFunction, args: unknown[], reply: Reply, fromSource: boolean): void {
  let value: unknown;
  try {
    value = fn(...args);
    if (isThenable(value)) {
      // Promise.resolve turns a thenable whose `then` throws into a rejection; a native promise passes as is.
      Promise.resolve(value).then(
        (v) => sendResult(v, reply, fromSource),
        (error: unknown) => sendError(error, reply, fromSource),
      );
      return;
    }
  } catch (error) {
    sendError(error, reply, fromSource);
    return;
  }
  sendResult(value, reply, fromSource);
}

/** Runs one job message and replies exactly once. */
export function handleJob(message: JobMessage, reply: Reply): void {
  const id = message[0];
  const args = message[1];
  let entry = loaded.get(id);
  if (entry === undefined) {
    const work = message[2];
    if (work === undefined) {
      reply(replyForThrown(new Error(`asyncio-ts internal error: the worker does not know work #${id}`)), undefined);
      return;
    }
    try {
      entry = load(id, work);
    } catch (error) {
      reply(replyForThrown(error), undefined);
      return;
    }
    loaded.set(id, entry);
  }
  const fn = entry.fn;
  if (fn !== null) {
    call(fn, args, reply, entry.fromSource);
    return;
  }
  (entry.pending as Promise<AnyFunction>).then(
    (f) => call(f, args, reply, false),
    (error: unknown) => reply(replyForThrown(error), undefined),
  );
}
