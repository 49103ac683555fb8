/**
 * Future: a result that will be set later, as in asyncio. It is a thenable, so `await fut` works;
 * awaiting it from inside a task makes it what that task waits on, so `task.cancel()` cancels it
 * (as asyncio's Task cancels its `_fut_waiter`).
 */
import { inspect } from "node:util";
import { CancelledError, InvalidStateError } from "../errors.js";
import { currentLoop } from "./context.js";
import { FutureWait } from "./futureWait.js";
import { opaqueTarget } from "./opaque.js";
import { currentContext, takePendingCancel } from "./scope.js";
import { CANCELLED, FINISHED, PENDING, type FutureState, type Waiter } from "./states.js";
import type { Loop } from "./loop.js";
import { reportUnretrieved, trackFailure, untrackFailure } from "./unretrieved.js";

export { CANCELLED, FINISHED, PENDING, type FutureState, type Waiter } from "./states.js";

/**
 * A callback for `Future.addDoneCallback()`: called with the future once it is done (result,
 * exception or cancelled). It runs through the loop, in a later batch of ready callbacks, never
 * synchronously inside `setResult()`/`cancel()`; an error it throws goes to the loop's exception
 * handler, not to whoever settled the future.
 *
 * @example
 * const fut = new Future<number>();
 * const onDone: DoneCallback<number> = (f) => console.log(f.cancelled() ? "cancelled" : f.result());
 * fut.addDoneCallback(onDone);
 * fut.setResult(1); // logs 1 in the loop's next batch
 */
export type DoneCallback<T> = (future: Future<T>) => void;

/** How the task tree and `Task.getStack()` name what a task waits on. */
export function describeWaiter(waiter: Waiter): string {
  const describe = (waiter as { describe?: () => string }).describe;
  if (typeof describe === "function") return describe.call(waiter);
  return inspect(waiter, { depth: 0, breakLength: Infinity });
}

// The executor stores the resolving functions here instead of closing over the future: one
// closure less per awaited future.
let capturedResolve: (value: unknown) => void = () => undefined;
let capturedReject: (reason: unknown) => void = () => undefined;
function captureResolvers(resolve: (value: never) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

/** A library listener that is an object: told by a method call, so it needs no closure. */
export interface FutureObserver {
  _onFutureDone(): void;
}

type Listener = ((future: never) => void) | FutureObserver;

function notify(listener: Listener, future: unknown): void {
  if (typeof listener === "function") listener(future as never);
  else listener._onFutureDone();
}

interface DoneCall {
  cb: (future: unknown) => void;
  fut: unknown;
}

function runDoneCallback(entry: DoneCall): void {
  entry.cb(entry.fut);
}

export class Future<T = unknown> implements PromiseLike<T>, Waiter {
  /** @internal */ _state: FutureState = PENDING;
  /** @internal Set when it finishes: a pending future does not carry the slot. */ declare _result: T | undefined;
  // Fields a future rarely needs are declared, not initialised: V8 then adds them only to the
  // futures that use them, which keeps every pending task about 100 bytes smaller.
  /** @internal */ declare _exception: unknown;
  /** @internal */ declare _hasException: boolean | undefined;
  /** @internal */ declare _cancelMessage: string | undefined;
  /** @internal */ declare _cancelledError: CancelledError | undefined;
  /** @internal */ readonly _loop: Loop;
  /** @internal Marks the future as seen by one gather() call, to skip duplicates without a Map. */
  declare _gatherStamp: number | undefined;
  /** @internal True while a failure has not been looked at (Python's `_log_traceback`). */
  _unretrieved = false;
  /** @internal Callbacks run on completion through the loop (user-visible, asyncio order). */
  // Stored callbacks are typed without T (`never` parameters) so that Future<T> stays covariant in T:
  // a Task<string> is a Task<unknown>.
  private declare callbacks: Array<(future: never) => void> | undefined;
  /**
   * @internal Library listeners run synchronously on completion: one inline slot, then an array.
   * A listener is a function, or an object told through `_onFutureDone()` (a task's await: no
   * closure per await).
   */
  private listener: Listener | null = null;
  private declare listeners: Listener[] | undefined;
  private promise: Promise<T> | null = null;
  private resolvePromise: ((value: never) => void) | null = null;
  private rejectPromise: ((reason: unknown) => void) | null = null;

  constructor(loop?: Loop) {
    if (loop !== undefined && typeof (loop as Partial<Loop> | null)?._soon !== "function") {
      throw new TypeError(`Future expects an optional Loop: received ${typeof loop}`);
    }
    this._loop = loop ?? currentLoop();
  }

  /** The loop this future belongs to. */
  getLoop(): Loop {
    return this._loop;
  }

  /**
   * Whether the future is done: it has a result or an exception, or it was cancelled. Never
   * throws; `result()` and `exception()` may be called once this is true.
   */
  done(): boolean {
    return this._state !== PENDING;
  }

  /**
   * Whether the future was cancelled (a cancelled future is also `done()`). For a task: whether
   * its function ended by throwing a CancelledError (or a Node AbortError caused by one), whoever
   * raised it; a task that caught its cancellation and returned normally is not cancelled.
   */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /**
   * The result. @throws InvalidStateError if not done; CancelledError if cancelled; the
   * exception if one was set.
   */
  result(): T {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Result is not set.");
    this._markRetrieved();
    if (this._hasException) throw this._exception;
    return this._result as T;
  }

  /** The exception, or null if it succeeded. @throws InvalidStateError if not done; CancelledError if cancelled. */
  exception(): unknown {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Exception is not set.");
    this._markRetrieved();
    return this._hasException ? this._exception : null;
  }

  /** @throws InvalidStateError if already done. */
  setResult(value: T): void {
    if (this._state !== PENDING) throw new InvalidStateError(`setResult() on a future that is already ${this.stateName()}`);
    this._result = value;
    this._state = FINISHED;
    this._settle();
  }

  /** @throws InvalidStateError if already done. */
  setException(exception: unknown): void {
    if (this._state !== PENDING) throw new InvalidStateError(`setException() on a future that is already ${this.stateName()}`);
    this._exception = exception;
    this._hasException = true;
    this._state = FINISHED;
    // Someone awaiting it (a promise was handed out) receives the failure: that counts as retrieval.
    this._unretrieved = this.promise === null;
    this._settle();
    if (this._unretrieved) trackFailure(this);
  }

  /** Cancels the future and schedules its callbacks. Returns false if it was already done. */
  cancel(message?: string): boolean {
    // Cancelling a failed future counts as looking at its failure (asyncio clears __log_traceback).
    this._markRetrieved();
    if (this._state !== PENDING) return false;
    this._cancelMessage = message;
    this._state = CANCELLED;
    this._settle();
    return true;
  }

  /** Runs `callback(future)` once done, through the loop (soon, if it is done already). */
  addDoneCallback(callback: DoneCallback<T>): void {
    if (typeof callback !== "function") {
      throw new TypeError(`addDoneCallback() expects a function: received ${typeof callback}`);
    }
    if (this._state !== PENDING) {
      this._loop._soon(runDoneCallback, { cb: callback as (future: unknown) => void, fut: this });
    } else {
      (this.callbacks ??= []).push(callback);
    }
  }

  /** Removes every registration of `callback`; returns how many were removed. */
  removeDoneCallback(callback: DoneCallback<T>): number {
    const callbacks = this.callbacks;
    if (callbacks === undefined) return 0;
    const kept = callbacks.filter((cb) => cb !== callback);
    const removed = callbacks.length - kept.length;
    this.callbacks = kept.length > 0 ? kept : undefined;
    return removed;
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this._markRetrieved();
    if (this._state === PENDING) {
      const ctx = currentContext();
      if (ctx !== undefined) {
        if ((ctx._task as unknown) === this) {
          // Awaiting itself would never settle (asyncio raises RuntimeError here).
          return Promise.reject(new Error(`Task cannot await on itself: ${inspect(this)}`)).then(onfulfilled, onrejected);
        }
        // What the task awaits now: its cancellation cancels this future, and the task resumes
        // through the one settle step every library wait uses (src/sync/parked.ts).
        const pending = takePendingCancel(ctx);
        const wait = new FutureWait(this, onfulfilled as never, onrejected);
        if (pending !== null) {
          // A cancellation the task could not receive yet is delivered here, the way asyncio's
          // Task.__step does it: by cancelling the future now awaited, so an awaited task is
          // cancelled too and this await ends once it has unwound (bpo-34872).
          const message = pending.message === "" ? undefined : pending.message;
          if (!this.cancel(message)) return Promise.reject(pending).then(onfulfilled, onrejected);
          wait._passedOn(message);
        }
        return wait.start<R1 | R2>(ctx);
      }
    }
    return this.getPromise().then(onfulfilled, onrejected);
  }

  /**
   * Promise-style `catch`: `then(undefined, onrejected)`. Like `then`, it counts as retrieving a
   * failure (no "exception was never retrieved" report), and called inside a task on a pending
   * future it makes that future one the task awaits, so cancelling the task cancels the future.
   */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onrejected);
  }

  /**
   * Promise-style `finally`: runs `onfinally` once the future is done, and settles as the future
   * did. Same bookkeeping as `then` (the failure counts as retrieved; inside a task, cancelling
   * the task cancels a pending future).
   */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.then(undefined, undefined).finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return "Future";
  }

  [inspect.custom](): string {
    return `<${this.constructor.name} ${this.describeState()}>`;
  }

  /**
   * @internal Whether it finished with an exception, and counts as retrieving it (as exception()
   * does). Library code asks this, never `exception() !== null`: a task may throw any value,
   * null and undefined included, and its exception() then cannot tell it from a success.
   */
  _failed(): boolean {
    this._markRetrieved();
    return this._state === FINISHED && this._hasException === true;
  }

  /** @internal The outcome as `result()` gives it, without counting as retrieval. */
  _outcome(): T {
    this._markRetrieved();
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._hasException) throw this._exception;
    return this._result as T;
  }

  /** @internal Adds a listener run synchronously at completion (or now, if done). */
  _addListener(listener: ((future: Future<T>) => void) | FutureObserver): void {
    if (this._state !== PENDING) notify(listener, this);
    else if (this.listener === null) this.listener = listener;
    else (this.listeners ??= []).push(listener);
  }

  /** @internal */
  _removeListener(listener: (future: Future<T>) => void): void {
    if (this.listener === listener) {
      this.listener = null;
      return;
    }
    const listeners = this.listeners;
    if (listeners === undefined) return;
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  }

  /** @internal Cancels as Future does, for subclasses that override cancel(). */
  _cancelFuture(message?: string): boolean {
    return Future.prototype.cancel.call(this, message);
  }

  /** @internal */
  _makeCancelledError(): CancelledError {
    if (this._cancelledError !== undefined) {
      const error = this._cancelledError;
      return error;
    }
    return new CancelledError(this._cancelMessage);
  }

  /** @internal */
  _markRetrieved(): void {
    if (this._unretrieved) {
      this._unretrieved = false;
      untrackFailure(this);
    }
  }

  /** What this future is, for the task tree and `Task.getStack()` ("a future"; subclasses say more). */
  describe(): string {
    return "a future";
  }

  /** @internal For reports: a short state description. */
  describeState(): string {
    if (this._state === PENDING) return "pending";
    if (this._state === CANCELLED) return "cancelled";
    if (this._hasException) return `finished exception=${inspect(this._exception, { depth: 0, breakLength: Infinity }).split("\n")[0] ?? ""}`;
    return `finished result=${inspect(this._result, { depth: 0, breakLength: Infinity })}`;
  }

  /** @internal Called by the unretrieved-failure tracker when the failure is reported. */
  _reportUnretrieved(): void {
    reportUnretrieved(this);
  }

  private stateName(): string {
    return this._state === CANCELLED ? "cancelled" : "done";
  }

  private getPromise(): Promise<T> {
    let promise = this.promise;
    if (promise === null) {
      if (this._state === PENDING) {
        promise = new Promise<T>(captureResolvers);
        this.resolvePromise = capturedResolve;
        this.rejectPromise = capturedReject;
      } else if (this._state === CANCELLED) {
        promise = Promise.reject(this._makeCancelledError());
      } else if (this._hasException) {
        promise = Promise.reject(this._exception);
      } else {
        promise = Promise.resolve(this._result as T);
      }
      this.promise = promise;
    }
    return promise;
  }

  /** @internal */
  _settle(): void {
    if (this.resolvePromise !== null) {
      if (this._state === CANCELLED) this.rejectPromise?.(this._makeCancelledError());
      else if (this._hasException) this.rejectPromise?.(this._exception);
      else this.resolvePromise(this._result as never);
      this.resolvePromise = null;
      this.rejectPromise = null;
    }
    const listener = this.listener;
    if (listener !== null) {
      this.listener = null;
      notify(listener, this);
    }
    const listeners = this.listeners;
    if (listeners !== undefined) {
      this.listeners = undefined;
      for (const l of listeners) notify(l, this);
    }
    const callbacks = this.callbacks;
    if (callbacks !== undefined) {
      this.callbacks = undefined;
      for (const cb of callbacks) {
        this._loop._soon(runDoneCallback, { cb: cb as (future: unknown) => void, fut: this });
      }
    }
  }
}

// `then` is an accessor over the method above, so that resolveOpaque() (kernel/opaque.ts) can
// hand a future through a native promise as itself: while a resolve function looks up `then` on
// the one future being resolved opaquely, the lookup answers undefined and the promise is
// fulfilled with the future instead of adopting its result. Every other lookup (`await fut`,
// `Promise.resolve(fut)`, `fut.then(...)`) gets the method. Assigning `then` on a future still
// shadows it with an own property, as assigning a prototype method would.
{
  const then: unknown = (Object.getOwnPropertyDescriptor(Future.prototype, "then") as PropertyDescriptor).value;
  Reflect.defineProperty(Future.prototype, "then", {
    get(this: Future): unknown {
      return this === opaqueTarget ? undefined : then;
    },
    set(this: Future, value: unknown): void {
      Reflect.defineProperty(this, "then", { value, writable: true, enumerable: true, configurable: true });
    },
    enumerable: false,
    configurable: true,
  });
}
