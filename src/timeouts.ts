/**
 * Timeout scopes, as asyncio 3.12+'s `asyncio.timeout()`: when the deadline passes, the scope
 * cancels its body; when the cancellation has unwound out of the body, the scope turns it into
 * `TimeoutError`. It converts only the cancellation it caused: it records the task's cancel count
 * on entry and converts only if `uncancel()` brings it back there, so an outer scope or a foreign
 * `cancel()` still propagates as CancelledError.
 *
 * The body runs in a cancel scope of its own (src/kernel/scope.ts): the deadline cancels the waits
 * started inside it and what it awaits, and aborts its `currentSignal()`, never a wait or signal
 * the task took before entering it.
 */
import { inspect } from "node:util";
import { cancellationOf, ExceptionGroup, InvalidStateError, TimeoutError } from "./errors.js";
import { currentLoop } from "./kernel/context.js";
import { resolveOpaque } from "./kernel/opaque.js";
import type { Handle } from "./kernel/handle.js";
import { CancelScope, currentContext, pendingOnChain, type CancelContext } from "./kernel/scope.js";
import { checkFunction, checkTimeout, checkWhen } from "./kernel/validate.js";

type State = "created" | "active" | "expiring" | "expired" | "finished";

/** The scope handed to the function of `timeout()` / `timeoutAt()`. */
export class Timeout {
  private state: State = "created";
  private deadline: number | null;
  private handle: Handle | null = null;
  private scope: CancelScope | null = null;
  private cancellingOnEntry = 0;
  /** What set the deadline, for the TimeoutError's message ("timeout(2)"), until it is rescheduled. */
  private origin: string;
  private readonly onTimeout = (): void => {
    // Invariant: only an entered scope has a handle scheduled.
    this.handle = null;
    if (this.state !== "active" || this.scope === null) return;
    this.state = "expiring";
    this.scope.cancel();
  };

  /** @internal Use `timeout()` or `timeoutAt()`. */
  constructor(when: number | null, origin = "") {
    this.deadline = when;
    this.origin = origin;
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
    if (w !== this.deadline) this.origin = "";
    this.schedule(w);
  }

  /** True once the deadline passed and the scope cancelled its body. */
  expired(): boolean {
    return this.state === "expiring" || this.state === "expired";
  }

  [inspect.custom](): string {
    const when = this.state === "active" ? ` when=${this.deadline}` : "";
    return `<Timeout [${this.state}]${when}>`;
  }

  private schedule(w: number | null): void {
    this.deadline = w;
    this.handle?.cancel();
    this.handle = null;
    if (w === null) return;
    const loop = (this.scope as CancelScope)._loop;
    this.handle = w <= loop.time() ? loop._callSoon(this.onTimeout) : loop._callAt(w, this.onTimeout);
  }

  /** @internal Enters the scope in `ctx`; returns the cancel scope its body runs in. */
  _enter(ctx: CancelContext): CancelScope {
    if (this.state !== "created") throw new InvalidStateError("Timeout has already been entered");
    this.state = "active";
    const scope = (this.scope = new CancelScope(ctx));
    // A cancel of the task that is still undelivered (its code ran, or awaited a foreign promise)
    // lands inside the scope, but it is not the scope's: count it as newer than the entry, so
    // that an expiry meanwhile does not turn it into this scope's TimeoutError.
    this.cancellingOnEntry = ctx._task.cancelling() - (pendingOnChain(ctx) ? 1 : 0);
    this.schedule(this.deadline);
    return scope;
  }

  /** @internal Leaves the scope; returns what to throw (the error, or TimeoutError in its place), or undefined. */
  _exit(failed: boolean, error: unknown): unknown {
    this.handle?.cancel();
    this.handle = null;
    const scope = this.scope as CancelScope;
    scope.exit();
    if (this.state === "expiring") {
      this.state = "expired";
      if (scope._task.uncancel() <= this.cancellingOnEntry && failed) {
        // No newer cancellation is pending: the one in flight is ours.
        if (cancellationOf(error) !== null) return new TimeoutError(this.message(), { cause: error });
        if (error instanceof ExceptionGroup) markTimedOut(error);
      }
    } else if (this.state === "active") {
      this.state = "finished";
    }
    return failed ? error : undefined;
  }

  private message(): string {
    if (this.origin !== "") return this.origin;
    return `the deadline at loop time ${String(this.deadline)} passed`;
  }
}

function markTimedOut(group: ExceptionGroup): void {
  // asyncio 3.13 chains a TimeoutError into the context of errors raised while expiring; the
  // closest JavaScript has is a note on the group.
  Object.defineProperty(group, "timedOut", { value: true, configurable: true });
}

/**
 * Runs the body and leaves the scope. Not an async function: its result may be a Future or Task
 * handed out as itself (`waitFor(q.get(), 2)` on a queue of tasks), which an async function's
 * `return` would adopt, waiting for that task past the deadline and giving its result instead.
 * The promise is fulfilled with the value as it came (resolveOpaque).
 */
function runBody<T>(scope: Timeout, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<T> {
  let body: PromiseLike<T> | T;
  try {
    body = fn(scope);
  } catch (error) {
    return Promise.reject(scope._exit(true, error));
  }
  return new Promise<T>((resolve, reject) => {
    Promise.resolve(body).then(
      (result) => {
        try {
          scope._exit(false, undefined);
        } catch (error) {
          reject(error);
          return;
        }
        resolveOpaque(resolve, result);
      },
      (error: unknown) => {
        let thrown: unknown;
        try {
          thrown = scope._exit(true, error);
        } catch (exitError) {
          thrown = exitError;
        }
        reject(thrown);
      },
    );
  });
}

/** @internal Runs `fn(scope)` in the timeout scope `scope`, inside the current task (or a new one outside any). */
export function enterTimeout<T>(scope: Timeout, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<T> {
  const ctx = currentContext();
  if (ctx !== undefined) return scope._enter(ctx).run(runBody<T>, scope, fn);
  // Outside any task there is nothing to cancel: run the scope in a task of its own.
  const loop = currentLoop();
  return Promise.resolve(loop.createTask(() => enterTimeout(scope, fn), { name: "timeout" }));
}

function seconds(delay: number): string {
  return `${delay} s`;
}

/**
 * Runs `fn(scope)` and throws `TimeoutError` if it outlives `delay` seconds, after cancelling it
 * and letting it unwind (its `finally` blocks run). `null` means no deadline (reschedulable).
 * Runs inside the current task; nested scopes and foreign cancellations behave as in asyncio.
 * The deadline cancels what the body started and awaits, and aborts `currentSignal()` taken inside
 * it; waits started before the scope, and signals taken outside it, are left alone.
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
  const when = d === null ? null : currentLoop().time() + d;
  return enterTimeout(new Timeout(when, d === null ? "" : `timeout(${d}) expired: the work took longer than ${seconds(d)}`), fn);
}

/**
 * Like `timeout()`, with an absolute deadline on the loop's clock (`getRunningLoop().time()`).
 * @throws RangeError if `when` is NaN; TypeError if `fn` is not a function.
 */
export function timeoutAt<T>(when: number | null, fn: (scope: Timeout) => PromiseLike<T> | T): Promise<T> {
  const w = checkWhen("timeoutAt()", when);
  checkFunction("timeoutAt()", fn, "Pass the async function: timeoutAt(when, () => work()).");
  return enterTimeout(new Timeout(w), fn);
}
