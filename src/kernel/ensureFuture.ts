/**
 * Turns anything a combinator accepts into a Future: a Future or Task as it is, a function into a
 * new task running it, a promise (or any thenable) into a Future that settles with it.
 *
 * A promise wrapped this way cannot be stopped by cancelling the wrapper: its work already runs
 * elsewhere. A promise created inside the current task is still cancelled with that task, since
 * its library awaits belong to it.
 */
import { currentLoop } from "./context.js";
import { Future } from "./future.js";
import type { Loop } from "./loop.js";
import { describe, isThenable } from "./validate.js";

/** A promise, Future, Task or other thenable, or a function to run in a new task. */
export type AwaitableLike<T> = PromiseLike<T> | (() => PromiseLike<T> | T);

/** What awaiting an `AwaitableLike` gives. */
export type ResultOf<A> = A extends () => infer R ? Awaited<R> : Awaited<A>;

function settleFrom<T>(future: Future<T>, thenable: PromiseLike<T>): void {
  const onRejected = (error: unknown): void => {
    if (!future.done()) future.setException(error);
  };
  try {
    thenable.then((value) => {
      if (!future.done()) future.setResult(value);
    }, onRejected);
  } catch (error) {
    // A thenable whose then() throws is a rejected awaitable (as Promise.resolve treats it), not
    // an error of the call that was handed it: gather() must not throw after starting others.
    onRejected(error);
  }
}

export function ensureFuture<T>(where: string, aw: AwaitableLike<T>, loop: Loop = currentLoop()): Future<T> {
  if (aw instanceof Future) return aw as Future<T>;
  if (typeof aw === "function") return loop.createTask<T>(aw);
  if (isThenable(aw)) {
    const future = new Future<T>(loop);
    settleFrom(future, aw);
    return future;
  }
  throw notAwaitable(where, aw);
}

/**
 * Throws what `ensureFuture()` would for `aw`, without starting anything. Combinators taking
 * several awaitables check them all first: a bad item must not leave earlier functions started
 * in tasks nobody can reach (a call that throws changes nothing).
 */
export function checkAwaitable(where: string, aw: unknown): void {
  if (!(aw instanceof Future) && typeof aw !== "function" && !isThenable(aw)) throw notAwaitable(where, aw);
}

function notAwaitable(where: string, aw: unknown): TypeError {
  return new TypeError(`${where} expects a Task, Future, promise or async function: received ${describe(aw)}`);
}
