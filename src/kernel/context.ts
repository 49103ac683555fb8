/**
 * Which task is running. A task runs its function inside `storage.run(task, ...)`, so the task
 * is the store of every function it calls and awaits inline, however deep. Library primitives
 * read it to know whose await they are, and so whose `cancel()` must reach them.
 */
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import type { Loop } from "./loop.js";
import type { CancelContext } from "./scope.js";
import type { Task } from "./task.js";

/** The running code's cancel context: its task, or a scope (timeout, taskGroup) inside it. */
export const storage = new AsyncLocalStorage<CancelContext>();

let callbackLoop: Loop | null = null;
let defaultLoop: Loop | null = null;
let loopFactory: (() => Loop) | null = null;

/** Registered once by loop.ts; keeps this module free of a runtime import cycle. */
export function setLoopFactory(factory: () => Loop): void {
  loopFactory = factory;
}

/** The task whose code is running, or undefined outside any task. May be a task that has finished. */
export function storedTask(): Task<unknown> | undefined {
  return storage.getStore()?._task;
}

/**
 * The loop of the running task, else the loop whose callbacks are running, else the default loop.
 * Code running in the context of a task whose loop has closed (a Node callback the task set up,
 * firing after its run() ended) is outside any task: it gets the default loop.
 */
export function currentLoop(): Loop {
  const task = storage.getStore();
  if (task !== undefined && !task._loop._closed) return task._loop;
  if (callbackLoop !== null) return callbackLoop;
  if (defaultLoop === null) {
    if (loopFactory === null) throw new Error("asyncio-ts: the loop module was not loaded");
    defaultLoop = loopFactory();
  }
  return defaultLoop;
}

/** Marks `loop` as the one whose callbacks run now; returns the previous value to restore. */
export function enterCallbacks(loop: Loop | null): Loop | null {
  const previous = callbackLoop;
  callbackLoop = loop;
  return previous;
}

const RESOURCE = "asyncio-ts";
const NO_DESTROY = { requireManualDestroy: true } as const;

/**
 * The context the library was loaded in (normally none: modules load at the top level). Loop
 * batches and the clock's timer run in it, so what a callback or a task's start sees does not
 * depend on whichever code happened to schedule the batch (another request's AsyncLocalStorage
 * values, a task that has long finished).
 */
const LOAD_CONTEXT = new AsyncResource(RESOURCE, NO_DESTROY);

/**
 * Whether contexts are captured with AsyncResource. Not on Deno 2.9: there a resource holding a
 * context kept the tasks of that context reachable after they finished (test/lifecycle.test.ts),
 * so Deno keeps the earlier way: tasks start in the loop batch's context (a task does not see its
 * creator's AsyncLocalStorage values there), and loop callbacks run in the scheduling code's.
 * Reduced: inside `als.run(o, () => new AsyncResource()).runInAsyncScope(...)`, a resource created
 * under `als.run(undefined, ...)` (or `enterWith`, or `exit`) still keeps `o` reachable on Deno 2.9,
 * though `o` is shadowed there; on Node both are collected.
 */
const CAPTURE = typeof process.versions["deno"] !== "string";

/** Runs `fn` outside any task and any caller's context, so that what it schedules inherits neither. */
export function outsideTasks<A>(fn: (arg: A) => void, arg: A): void {
  if (CAPTURE) LOAD_CONTEXT.runInAsyncScope(fn, null, arg);
  // run(undefined) rather than exit(): on Node 20, exit() disables and re-enables the async hooks.
  else storage.run(undefined as never, fn, arg);
}

/**
 * Whether AsyncLocalStorage is built on AsyncContextFrame (Node 24 and later; Node 22 with a flag).
 * There `storage.run()` copies the context's frame twice, on entry and again to restore it (about
 * 0.4 µs, paid by every task and every timeout scope); entering with `enterWith()` inside an
 * AsyncResource's scope copies it once, and the scope's exit puts the caller's frame back as it
 * was. Elsewhere (Node 20's async_hooks, Bun, Deno) `run()` is the cheap way. Both are correct;
 * only the cost differs.
 */
const FRAMES = framesInUse();

function framesInUse(): boolean {
  if (typeof process.versions.bun === "string" || typeof process.versions["deno"] === "string") return false;
  const flags = [...process.execArgv, ...(process.env["NODE_OPTIONS"] ?? "").split(/\s+/)];
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 24) return !flags.includes("--no-async-context-frame");
  return flags.includes("--experimental-async-context-frame");
}

function newResource(): AsyncResource {
  return new AsyncResource(RESOURCE, NO_DESTROY);
}

function enterOutsideAndCapture(): AsyncResource {
  storage.enterWith(undefined as never);
  return newResource();
}

function enterAndRun<A extends unknown[], R>(store: CancelContext, fn: (...args: A) => R, args: A): R {
  storage.enterWith(store);
  return fn(...args);
}

/**
 * The caller's context, outside any task: a callback scheduled with `callSoon()` runs in it (asyncio
 * runs callbacks in a copy of their caller's context, and a callback is not part of a task). The
 * library's store is cleared in the capture itself (one frame copy now where frames are in use),
 * rather than holding the caller's frame: that frame names the caller's task, which a `callLater`
 * of an hour would keep reachable for that hour (test/lifecycle.test.ts).
 */
export function captureCaller(): AsyncResource | null {
  if (!CAPTURE) return null;
  if (!FRAMES) return storage.run(undefined as never, newResource);
  return newResource().runInAsyncScope(enterOutsideAndCapture, null);
}

/**
 * A new task's capture of its creator's context. Where frames are in use it holds the creator's
 * frame as it is (no copy: the siblings a loop creates share it), and the task's store is entered
 * when it starts (`enterCaptured`), one frame copy then; elsewhere the store is in the capture.
 * Holding the creator's frame keeps the creator's task reachable only until the next loop turn,
 * when the task starts and drops the capture.
 */
export function captureCreator(store: CancelContext): AsyncResource | null {
  if (!CAPTURE) return null;
  if (!FRAMES) return storage.run(store, newResource);
  return newResource();
}

function enterAndCall<A>(store: CancelContext, fn: (arg: A) => void, arg: A): void {
  storage.enterWith(store);
  fn(arg);
}

/** Calls `fn(arg)` in a context taken by `captureCreator(store)`, with `store` as the library's. */
export function enterCaptured<A>(context: AsyncResource, store: CancelContext, fn: (arg: A) => void, arg: A): void {
  if (!FRAMES) context.runInAsyncScope(fn, null, arg);
  else context.runInAsyncScope(enterAndCall, null, store, fn, arg);
}

/** `storage.run(store, fn, ...args)`, with one frame copy instead of two where frames are in use. */
export function runWith<A extends unknown[], R>(store: CancelContext, fn: (...args: A) => R, args: A): R {
  if (!FRAMES) return storage.run(store, fn, ...args);
  return newResource().runInAsyncScope(enterAndRun, null, store, fn, args) as R;
}
