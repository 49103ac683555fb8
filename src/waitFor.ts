import { type AwaitableLike, type ResultOf } from "./kernel/ensureFuture.js";
import { Future } from "./kernel/future.js";
import { CancelScope, currentContext } from "./kernel/scope.js";
import { checkTimeout, describe, isThenable } from "./kernel/validate.js";
import { currentLoop } from "./kernel/context.js";
import { sleep } from "./sleep.js";
import { parkedFor } from "./sync/parked.js";
import { enterTimeout, Timeout } from "./timeouts.js";

/**
 * Waits for `aw` at most `timeout` seconds (null: no limit). On timeout the work is cancelled (it
 * sees CancelledError at its current await), waitFor waits for it to unwind, then throws
 * `TimeoutError`; if the work swallows the cancellation and returns, that value is returned
 * (asyncio 3.12+ semantics: it is `timeout()` around the await). A timeout of zero or less is the
 * shortest possible wait: the deadline passes at the loop's next turn, and a wait cancelled then
 * gives back what it had been handed (an item, a lock), exactly as with a small positive timeout.
 *
 * Works for a Task or Future (cancelled on timeout), a function (run inside the scope, so every
 * wait it starts is cancelled), and a library wait passed as it was made (`waitFor(q.get(), 2)`,
 * `waitFor(lock.acquire(), 2)`: that wait is moved into the scope). Another promise cannot be
 * stopped, only waited for: pass a function instead (`waitFor(() => Promise.all([...]), 2)`).
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
  // Found now, before anything else can start a wait: the library wait `aw` is, if it is one.
  const handed = typeof work === "function" ? null : parkedFor(work);
  const origin = t === null ? "" : `waitFor() timed out after ${t} s`;
  const scope = new Timeout(t === null ? null : currentLoop().time() + t, origin);
  // As in asyncio 3.12+, the work is awaited inline inside a timeout scope: a function runs in the
  // current task (started at once, like the coroutine wait_for awaits), so cancelling the caller
  // reaches it at its current await even before a new task would have started.
  const zero = t !== null && t <= 0;
  return enterTimeout(scope, (): PromiseLike<ResultOf<A>> | ResultOf<A> => {
    if (typeof work === "function" && !(work instanceof Future)) {
      // With no time at all a function is never started (asyncio: its task is cancelled first).
      return zero ? (sleep(Infinity) as never) : work();
    }
    const ctx = currentContext();
    if (ctx instanceof CancelScope && !(work instanceof Future)) {
      // A Future registers itself when awaited in here; a promise's waits were started outside.
      if (handed !== null) ctx.handOver(handed);
      else ctx.reach(ctx._task._stepSeq);
    }
    return work as PromiseLike<ResultOf<A>>;
  });
}
