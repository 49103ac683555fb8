/**
 * `moveOnAfter(delay, fn)` / `moveOnAt(when, fn)`: Trio's `move_on_after` / `move_on_at`. A deadline
 * that, when it passes, cancels `fn` like `timeout()` does, and then simply moves on: the caller
 * gets `undefined` instead of a `TimeoutError`. For "as many as we can in 2 seconds" and "use the
 * cached value if the fresh one is slow".
 */
import { TimeoutError } from "../errors.js";
import { currentLoop } from "../kernel/context.js";
import { checkFunction, checkTimeout, checkWhen } from "../kernel/validate.js";
import { enterTimeout, Timeout } from "../timeouts.js";

/** What `moveOnAfter()` returns when `fn` finished: its value, boxed so that `undefined` is a value too. */
export interface Finished<T> {
  /** What `fn` returned. */
  value: T;
}

async function moveOn<T>(scope: Timeout, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<Finished<T> | undefined> {
  try {
    return { value: await enterTimeout(scope, fn) };
  } catch (error) {
    // Only the TimeoutError this scope made of its own expiry is swallowed: one thrown by `fn`
    // itself (an inner waitFor) while the deadline had not passed still propagates.
    if (error instanceof TimeoutError && scope.expired()) return undefined;
    throw error;
  }
}

/**
 * Runs `fn(scope)` under a deadline `delay` seconds from now; returns `{ value }` if it finished,
 * or `undefined` if the deadline cut it short (after cancelling it and letting it unwind, as
 * `timeout()` does). `null` means no deadline (`scope.reschedule()` can set one). A cancellation
 * from outside (the task's, an enclosing scope's) propagates as usual: only this deadline is
 * turned into `undefined`. If `fn` catches the cancellation and returns anyway, its value is
 * returned (as `timeout()` would).
 *
 * @throws whatever `fn` throws; RangeError if `delay` is NaN; TypeError if `fn` is not a function.
 * @example
 * const fresh = await moveOnAfter(0.5, () => fetchQuote(symbol));
 * const quote = fresh?.value ?? cachedQuote(symbol);
 */
export function moveOnAfter<T>(delay: number | null, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<Finished<T> | undefined> {
  const d = checkTimeout("moveOnAfter()", delay);
  checkFunction("moveOnAfter()", fn, "Pass the async function: moveOnAfter(2, () => work()).");
  const when = d === null ? null : currentLoop().time() + d;
  return moveOn(new Timeout(when), fn);
}

/**
 * Like `moveOnAfter()`, with an absolute deadline on the loop's clock (`getRunningLoop().time()`).
 * @throws RangeError if `when` is NaN; TypeError if `fn` is not a function.
 */
export function moveOnAt<T>(when: number | null, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<Finished<T> | undefined> {
  const w = checkWhen("moveOnAt()", when);
  checkFunction("moveOnAt()", fn, "Pass the async function: moveOnAt(when, () => work()).");
  return moveOn(new Timeout(w), fn);
}
