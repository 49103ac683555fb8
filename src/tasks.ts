import { currentLoop, storage } from "./kernel/context.js";
import { PENDING } from "./kernel/future.js";
import { currentContext, signalOf } from "./kernel/scope.js";
import type { Loop } from "./kernel/loop.js";
import type { Task, TaskOptions } from "./kernel/task.js";

/**
 * Starts `fn` in a new task and returns the task at once; the function begins on the loop's next
 * turn. The task can be awaited, cancelled (`task.cancel()`), and inspected.
 *
 * @throws TypeError if `fn` is not a function (a promise has already started and could not be cancelled).
 * @example
 * const task = createTask(() => fetchUser(1), { name: "user-1" });
 * doOtherWork();
 * const user = await task;
 */
export function createTask<T>(fn: () => PromiseLike<T> | T, options?: TaskOptions): Task<T> {
  return currentLoop().createTask(fn, options);
}

/** The task running the current code, or null outside any task. */
export function currentTask(): Task<unknown> | null {
  const task = storage.getStore()?._task;
  return task !== undefined && task._state === PENDING ? task : null;
}

/** The pending tasks of the current loop. */
export function allTasks(loop: Loop = currentLoop()): Set<Task<unknown>> {
  return new Set(loop._tasks);
}

/** The loop of the running task (there is always one: a default loop outside `run()`). */
export function getRunningLoop(): Loop {
  return currentLoop();
}

/** Same as `getRunningLoop()`: in Node there is always an event loop. */
export function getEventLoop(): Loop {
  return currentLoop();
}

const neverAborted = new AbortController().signal;

/**
 * An AbortSignal that aborts when the current task is cancelled (by `cancel()`, a timeout scope or
 * a failing task group), with the CancelledError as `reason`. Pass it to `fetch`, `fs`,
 * `child_process` and any API that takes a signal, so cancellation reaches foreign work too.
 * Outside a task it never aborts.
 *
 * @example
 * const res = await fetch(url, { signal: currentSignal() });
 */
export function currentSignal(): AbortSignal {
  const ctx = currentContext();
  return ctx !== undefined ? signalOf(ctx) : neverAborted;
}
