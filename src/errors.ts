/**
 * The library's error classes. Each sets `name`, and `instanceof` also recognises
 * instances made by another copy of this package (a brand under a `Symbol.for` key),
 * so two installed versions still agree on what a `CancelledError` is.
 */

import { describe } from "./kernel/validate.js";

const BRAND: unique symbol = Symbol.for("asyncio-ts.error") as never;

type Branded = { [BRAND]?: readonly string[] };

function brand(target: object, name: string): void {
  const own = (target as Branded)[BRAND] ?? [];
  Object.defineProperty(target, BRAND, { value: [...own, name], enumerable: false, configurable: true });
}

function hasBrand(value: unknown, name: string): boolean {
  if (typeof value !== "object" || value === null) return false;
  const brands = (value as Branded)[BRAND];
  return brands !== undefined && brands.includes(name);
}

export function defineError<C extends abstract new (...args: never[]) => Error>(cls: C, name: string): C {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
  brand(cls.prototype as object, name);
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: C, value: unknown): boolean {
      return Function.prototype[Symbol.hasInstance].call(this, value) || hasBrand(value, name);
    },
  });
  return cls;
}

/**
 * Raised inside a task whose `cancel()` was called, at its current (or next) library await.
 * Catch it only to clean up, then re-throw it: swallowing it un-cancels the work silently.
 */
export class CancelledError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
  }
}
defineError(CancelledError, "CancelledError");

/** The deadline of `waitFor`, `timeout`, `timeoutAt`, `asCompleted` or `wait`-like call passed. */
export class TimeoutError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
  }
}
defineError(TimeoutError, "TimeoutError");

/**
 * An operation was attempted on a Future, Task, scope or primitive in a state that forbids it:
 * a result read before it was set, `Lock.release()` on an unlocked lock, `Condition.wait()` or
 * `notify()` without holding its lock, a guard released twice (asyncio raises InvalidStateError
 * for futures and RuntimeError for its locks; this library uses this one class for both).
 */
export class InvalidStateError extends Error {}
defineError(InvalidStateError, "InvalidStateError");

/** `getNowait()` on an empty queue. */
export class QueueEmpty extends Error {}
defineError(QueueEmpty, "QueueEmpty");

/** `putNowait()` on a full queue. */
export class QueueFull extends Error {}
defineError(QueueFull, "QueueFull");

/** `put()`/`get()` on a queue that was shut down (and, for `get`, drained). */
export class QueueShutDown extends Error {}
defineError(QueueShutDown, "QueueShutDown");

/** A `Barrier` was aborted or reset while a party waited on it. */
export class BrokenBarrierError extends Error {}
defineError(BrokenBarrierError, "BrokenBarrierError");

/**
 * Several failures at once, as raised by `taskGroup` (Python's `ExceptionGroup`).
 * It is an `AggregateError`: `exceptions` and `errors` are the same list.
 */
export class ExceptionGroup extends AggregateError {
  /**
   * @throws TypeError if `message` is not a string or `exceptions` is not an iterable (a string is
   *   not taken for its characters); RangeError if it is empty. As Python's ExceptionGroup, which
   *   AggregateError alone would not check.
   */
  constructor(message: string, exceptions: Iterable<unknown>, options?: ErrorOptions) {
    if (typeof message !== "string") {
      throw new TypeError(`ExceptionGroup expects a message string: received ${describe(message)}`);
    }
    if (typeof exceptions !== "object" || exceptions === null || typeof (exceptions as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function") {
      throw new TypeError(`ExceptionGroup expects an array (or iterable) of errors: received ${describe(exceptions)}`);
    }
    const list = [...exceptions];
    if (list.length === 0) throw new RangeError("ExceptionGroup expects at least one error: received none");
    super(list, message, options);
  }
  /** The failures, in the order they happened. */
  get exceptions(): readonly unknown[] {
    return this.errors as unknown[];
  }
}
defineError(ExceptionGroup, "ExceptionGroup");

/**
 * What `run()` (and `Runner.run()`) rejects with when Ctrl-C (SIGINT), or another signal named in
 * its `signals` option (SIGTERM: how Docker and Kubernetes stop a process), cancelled the main task
 * and main did not handle the cancellation: Python's `KeyboardInterrupt` out of `asyncio.run`. Its
 * `cause` is the main task's `CancelledError`, its message names the signal. Left uncaught
 * (`await run(main)` at top level), it ends the process with the one line
 * `asyncio-ts: interrupted by SIGINT` on stderr and exit code 128 + the signal's number (130 for
 * SIGINT, 143 for SIGTERM), as an interrupted shell command does, instead of a stack trace and code 1.
 */
export class KeyboardInterrupt extends Error {
  constructor(message = "interrupted by SIGINT", options?: ErrorOptions) {
    super(message, options);
  }
}
defineError(KeyboardInterrupt, "KeyboardInterrupt");

/** Whether `error` is a `CancelledError` (from any copy of this package). */
export function isCancelledError(error: unknown): error is CancelledError {
  return error instanceof CancelledError;
}

/**
 * The cancellation behind `error`, if it is one: the CancelledError itself, or the `cause` of the
 * AbortError that Node APIs (fs, timers/promises, child_process, streams) raise when the
 * `currentSignal()` they were given aborts. fetch rejects with the CancelledError directly.
 */
export function cancellationOf(error: unknown): CancelledError | null {
  if (error instanceof CancelledError) return error;
  if (error instanceof Error && error.name === "AbortError" && error.cause instanceof CancelledError) return error.cause;
  return null;
}
