import { CancelledError, TimeoutError } from "./errors.js";
import { ensureFuture, type AwaitableLike, type ResultOf } from "./kernel/ensureFuture.js";
import { Future } from "./kernel/future.js";
import { checkTimeout, describe, isThenable } from "./kernel/validate.js";
import { timeout } from "./timeouts.js";

async function cancelAndWait(future: Future<unknown>): Promise<void> {
  const waiter = future._loop.createFuture<void>();
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  future.addDoneCallback(release);
  try {
    future.cancel();
    await waiter;
  } finally {
    future.removeDoneCallback(release);
  }
}

async function expireNow<T>(aw: AwaitableLike<T>): Promise<T> {
  const future = ensureFuture("waitFor()", aw);
  if (future.done()) return future.result();
  await cancelAndWait(future);
  try {
    return future.result();
  } catch (error) {
    if (error instanceof CancelledError) throw new TimeoutError("", { cause: error });
    throw error;
  }
}

/**
 * Waits for `aw` at most `timeout` seconds (null: no limit). On timeout the work is cancelled (it
 * sees CancelledError at its current await), waitFor waits for it to unwind, then throws
 * `TimeoutError`; if the work swallows the cancellation and returns, that value is returned
 * (asyncio 3.12+ semantics: it is `timeout()` around the await).
 *
 * Works for a Task, a function (run in a new task), and a promise created inside the current task
 * (cancelled with it). A promise made outside any task cannot be stopped, only waited for.
 *
 * @throws TimeoutError when the deadline passed.
 * @throws RangeError if `timeout` is NaN; TypeError if `aw` is not awaitable.
 * @example
 * const result = await waitFor(slowApiCall(), 2.0);
 */
export function waitFor<A extends AwaitableLike<unknown>>(aw: A, timeoutSeconds: number | null): Promise<ResultOf<A>> {
  const t = checkTimeout("waitFor()", timeoutSeconds);
  if (typeof aw !== "function" && !isThenable(aw)) {
    throw new TypeError(`waitFor() expects a Task, Future, promise or async function: received ${describe(aw)}`);
  }
  const work = aw as AwaitableLike<ResultOf<A>>;
  if (t !== null && t <= 0) return expireNow(work);
  // As in asyncio 3.12+, the work is awaited inline inside a timeout scope: a function runs in the
  // current task (started at once, like the coroutine wait_for awaits), so cancelling the caller
  // reaches it at its current await even before a new task would have started.
  return timeout(t, (): PromiseLike<ResultOf<A>> | ResultOf<A> =>
    typeof work === "function" && !(work instanceof Future) ? work() : (work as PromiseLike<ResultOf<A>>),
  );
}
