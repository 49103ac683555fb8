import { ensureFuture, type AwaitableLike, type ResultOf } from "./kernel/ensureFuture.js";
import type { Future } from "./kernel/future.js";

/**
 * Protects `aw` from cancellation: cancelling the returned future (or the task awaiting it) does
 * not cancel the inner work, which runs on. A function is started in a new task.
 * The inner task stays in the loop's task list until it finishes, so it is not lost.
 *
 * Shielding a promise created in the current task does not protect it: its awaits belong to
 * the current task. Shield a task or a function instead.
 *
 * @example
 * const result = await shield(() => commitTransaction());
 */
export function shield<A extends AwaitableLike<unknown>>(aw: A): Future<ResultOf<A>> {
  const inner = ensureFuture("shield()", aw as AwaitableLike<ResultOf<A>>);
  if (inner.done()) return inner;
  const outer = inner._loop.createFuture<ResultOf<A>>();
  const onInnerDone = (): void => {
    if (outer.cancelled()) {
      if (!inner.cancelled()) inner.exception(); // mark retrieved: nobody is left to look
      return;
    }
    if (outer.done()) return;
    if (inner.cancelled()) outer.cancel();
    else if (inner._failed()) outer.setException(inner.exception());
    else outer.setResult(inner.result());
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(() => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  });
  return outer;
}
