/**
 * Timeout scopes, as asyncio 3.12+'s `asyncio.timeout()`: when the deadline passes, the scope
 * cancels its task; when the cancellation has unwound out of the scope's function, the scope
 * turns it into `TimeoutError`. It converts only the cancellation it caused: it records the
 * task's cancel count on entry and converts only if `uncancel()` brings it back there, so an
 * outer scope or a foreign `cancel()` still propagates as CancelledError.
 */
import { inspect } from "node:util";
import { cancellationOf, ExceptionGroup, InvalidStateError, TimeoutError } from "./errors.js";
import { currentLoop } from "./kernel/context.js";
import type { Handle } from "./kernel/handle.js";
import type { Task } from "./kernel/task.js";
import { checkFunction, checkTimeout, checkWhen } from "./kernel/validate.js";
import { runningTask } from "./kernel/waiting.js";

type State = "created" | "active" | "expiring" | "expired" | "finished";

/** The scope handed to the function of `timeout()` / `timeoutAt()`. */
export class Timeout {
  private state: State = "created";
  private deadline: number | null;
  private handle: Handle | null = null;
  private task: Task<unknown> | null = null;
  private cancellingOnEntry = 0;
  private readonly onTimeout = (): void => {
    // Invariant: only an entered scope has a handle scheduled.
    this.handle = null;
    if (this.state !== "active" || this.task === null) return;
    this.task.cancel();
    this.state = "expiring";
  };

  /** @internal Use `timeout()` or `timeoutAt()`. */
  constructor(when: number | null) {
    this.deadline = when;
  }

  /** The deadline on the loop's clock (seconds), or null for none. */
  when(): number | null {
    return this.deadline;
  }

  /**
   * Moves the deadline (null removes it). A deadline already past fires on the next loop turn.
   * @throws InvalidStateError if the scope has not been entered or has already finished or expired.
   */
  reschedule(when: number | null): void {
    const w = checkWhen("Timeout.reschedule()", when);
    if (this.state !== "active") {
      if (this.state === "created") throw new InvalidStateError("Timeout has not been entered");
      throw new InvalidStateError(`Cannot change state of ${this.state} Timeout`);
    }
    this.deadline = w;
    this.handle?.cancel();
    this.handle = null;
    if (w === null) return;
    const loop = (this.task as Task<unknown>)._loop;
    this.handle = w <= loop.time() ? loop.callSoon(this.onTimeout) : loop.callAt(w, this.onTimeout);
  }

  /** True once the deadline passed and the scope cancelled its task. */
  expired(): boolean {
    return this.state === "expiring" || this.state === "expired";
  }

  [inspect.custom](): string {
    const when = this.state === "active" ? ` when=${this.deadline}` : "";
    return `<Timeout [${this.state}]${when}>`;
  }

  /** @internal */
  _enter(task: Task<unknown>): void {
    if (this.state !== "created") throw new InvalidStateError("Timeout has already been entered");
    this.state = "active";
    this.task = task;
    this.cancellingOnEntry = task.cancelling();
    this.reschedule(this.deadline);
  }

  /** @internal Leaves the scope; returns what to throw (the error, or TimeoutError in its place), or undefined. */
  _exit(failed: boolean, error: unknown): unknown {
    this.handle?.cancel();
    this.handle = null;
    if (this.state === "expiring") {
      this.state = "expired";
      const task = this.task as Task<unknown>;
      if (task.uncancel() <= this.cancellingOnEntry && failed) {
        // No newer cancellation is pending: the one in flight is ours.
        if (cancellationOf(error) !== null) return new TimeoutError("", { cause: error });
        if (error instanceof ExceptionGroup) markTimedOut(error);
      }
    } else if (this.state === "active") {
      this.state = "finished";
    }
    return failed ? error : undefined;
  }
}

function markTimedOut(group: ExceptionGroup): void {
  // asyncio 3.13 chains a TimeoutError into the context of errors raised while expiring; the
  // closest JavaScript has is a note on the group.
  Object.defineProperty(group, "timedOut", { value: true, configurable: true });
}

async function runScope<T>(scope: Timeout, task: Task<unknown>, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<T> {
  scope._enter(task);
  let result: T;
  try {
    result = await fn(scope);
  } catch (error) {
    throw scope._exit(true, error);
  }
  scope._exit(false, undefined);
  return result;
}

function enter<T>(when: number | null, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<T> {
  const scope = new Timeout(when);
  const task = runningTask();
  if (task !== undefined) return runScope(scope, task, fn);
  // Outside any task there is nothing to cancel: run the scope in a task of its own.
  const loop = currentLoop();
  return Promise.resolve(loop.createTask(() => runScope(scope, runningTask() as Task<unknown>, fn), { name: "timeout" }));
}

/**
 * Runs `fn(scope)` and throws `TimeoutError` if it outlives `delay` seconds, after cancelling it
 * and letting it unwind (its `finally` blocks run). `null` means no deadline (reschedulable).
 * Runs inside the current task; nested scopes and foreign cancellations behave as in asyncio.
 *
 * @throws TimeoutError when the deadline passed and the cancellation it caused unwound `fn`.
 * @throws RangeError if `delay` is NaN; TypeError if `fn` is not a function.
 * @example
 * const data = await timeout(2.0, async () => {
 *   const a = await slowApiCall();
 *   return [a, await anotherCall()];
 * });
 */
export function timeout<T>(delay: number | null, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<T> {
  const d = checkTimeout("timeout()", delay);
  checkFunction("timeout()", fn, "Pass the async function: timeout(2, () => work()).");
  return enter(d === null ? null : currentLoop().time() + d, fn);
}

/**
 * Like `timeout()`, with an absolute deadline on the loop's clock (`getRunningLoop().time()`).
 * @throws RangeError if `when` is NaN; TypeError if `fn` is not a function.
 */
export function timeoutAt<T>(when: number | null, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<T> {
  const w = checkWhen("timeoutAt()", when);
  checkFunction("timeoutAt()", fn, "Pass the async function: timeoutAt(when, () => work()).");
  return enter(w, fn);
}
