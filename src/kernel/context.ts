/**
 * Which task is running. A task runs its function inside `storage.run(task, ...)`, so the task
 * is the store of every function it calls and awaits inline, however deep. Library primitives
 * read it to know whose await they are, and so whose `cancel()` must reach them.
 */
import { AsyncLocalStorage } from "node:async_hooks";
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

/** Runs `fn` outside any task, so that what it schedules does not inherit the caller's task. */
export function outsideTasks<A>(fn: (arg: A) => void, arg: A): void {
  // run(undefined) rather than exit(): on Node 20, exit() disables and re-enables the async hooks
  // (about 26 µs a call, against 2 µs), and the loop calls this once per batch.
  storage.run(undefined as never, fn, arg);
}
