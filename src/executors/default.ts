/**
 * The default executor of a loop (a ThreadPoolExecutor created on first use, shut down by
 * `run()`/`Runner.close()`), `runInExecutor()` and `toThread()`, as in asyncio.
 */
import { currentLoop } from "../kernel/context.js";
import type { Future } from "../kernel/future.js";
import { setExecutorRunner, type Loop } from "../kernel/loop.js";
import { describe } from "../kernel/validate.js";
import { Executor, type Work } from "./pool.js";
import { ThreadPoolExecutor } from "./threadPool.js";

const defaults = new WeakMap<Loop, ThreadPoolExecutor>();

/** The loop's default executor, created (and registered for shutdown when the loop closes) on first use. */
export function defaultExecutor(loop: Loop = currentLoop()): ThreadPoolExecutor {
  let executor = defaults.get(loop);
  if (executor === undefined) {
    const created = new ThreadPoolExecutor();
    executor = created;
    defaults.set(loop, created);
    loop._closeHooks.push(() => created.shutdown({ wait: true }));
  }
  return executor;
}

function runIn(loop: Loop, executor: unknown, fn: unknown, args: unknown[]): Future<unknown> {
  if (executor === null || executor === undefined) return defaultExecutor(loop)._submitFrom("runInExecutor()", loop, fn, args);
  if (!(executor instanceof Executor)) {
    throw new TypeError(`runInExecutor() expects a ThreadPoolExecutor, a ProcessPoolExecutor or null: received ${describe(executor)}`);
  }
  return executor._submitFrom("runInExecutor()", loop, fn, args);
}

setExecutorRunner(runIn);

/**
 * Runs `fn(...args)` on `executor`, or on the loop's default ThreadPoolExecutor when it is null,
 * and returns the Future of the result (asyncio's `loop.run_in_executor`; also `loop.runInExecutor`).
 * Awaiting it in a task ties the job to the task: cancelling the task stops the job.
 *
 * @throws TypeError for an executor that is not one, or a `fn` that cannot be sent to a worker.
 * @example
 * const checksum = await runInExecutor(null, (data: Uint8Array) => data.reduce((a, b) => (a + b) % 65521, 1), bytes);
 */
export function runInExecutor<A extends unknown[], R>(executor: Executor | null, fn: Work<A, R>, ...args: A): Future<Awaited<R>> {
  return runIn(currentLoop(), executor, fn, args) as Future<Awaited<R>>;
}

/**
 * Runs `fn(...args)` on the current loop's default ThreadPoolExecutor (asyncio's `to_thread`).
 * `fn` is a self-contained function or `fromModule(url, name)`: it runs in a worker thread,
 * so it cannot use the caller's variables; pass what it needs as arguments. Cancelling the task
 * that awaits it stops the thread (on Deno only at the job's next `await`: see ThreadPoolExecutor).
 *
 * @example
 * const words = await toThread((text: string) => text.split(/\s+/).length, bigText);
 */
export function toThread<A extends unknown[], R>(fn: Work<A, R>, ...args: A): Future<Awaited<R>> {
  return runIn(currentLoop(), null, fn, args) as Future<Awaited<R>>;
}
