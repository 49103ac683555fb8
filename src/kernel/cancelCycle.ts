/**
 * Await cycles seen by a cancel. A task that awaits something that (through a gather, say) awaits
 * the task itself is in a cycle: cancelling it cancels what it awaits, which cancels the task
 * again, for ever (asyncio recurses until RecursionError, inside the timeout or cancel callback,
 * and the tasks stay deadlocked). `Task.cancel()` re-entered for a task whose cancel is already
 * running sets `hit` instead of going round; the innermost `FutureWait.cancel()` that led there
 * sees it, clears it, and fails its own await, which unwinds the cycle.
 */
export const cancelCycle = {
  hit: false,
  /** How many Task.cancel() calls are running (nested): the mark is dropped when the outermost ends. */
  depth: 0,
};
