/**
 * Helpers every blocking primitive uses to take part in the cancellation model:
 * find the task whose await this is, deliver a pending cancellation at the door, and link an
 * explicit `{ signal }` option to the wait.
 */
import { CancelledError } from "../errors.js";
import { storage } from "./context.js";
import { PENDING } from "./future.js";
import type { Waiter } from "./future.js";
import type { Task } from "./task.js";

/** Options every blocking call accepts. */
export interface WaitOptions {
  /** Aborting it rejects the wait with `signal.reason`, leaving the primitive as it was. */
  signal?: AbortSignal | undefined;
}

/** The running (pending) task, if any. */
export function runningTask(): Task<unknown> | undefined {
  const task = storage.getStore();
  return task !== undefined && task._state === PENDING ? task : undefined;
}

/**
 * If `task` has a cancellation that could not be delivered yet, consume it and return the error
 * the wait must fail with; asyncio delivers it at the next suspension point, and ours is here.
 */
export function takePendingCancel(task: Task<unknown> | undefined): CancelledError | null {
  return task !== undefined && task._mustCancel ? task._takePendingCancel() : null;
}

/** Validates the `signal` option. */
export function checkSignal(where: string, options: WaitOptions | undefined): AbortSignal | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") {
    throw new TypeError(`${where} expects an options object: received ${typeof options}`);
  }
  const signal = options.signal;
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(`${where} expects options.signal to be an AbortSignal: received ${typeof signal}`);
  }
  return signal;
}

/** Something that can be failed by an abort signal. */
export interface Abortable {
  abort(reason: unknown): void;
}

function onAbort(this: { target: Abortable; signal: AbortSignal }): void {
  this.target.abort(this.signal.reason);
}

/** Links `signal` to `target`; returns the function that unlinks it (call it on every settle path). */
export function linkSignal(signal: AbortSignal, target: Abortable): () => void {
  const link = { target, signal };
  const listener = onAbort.bind(link);
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/** The reason to fail with when a wait is cancelled by a task's `cancel(message)`. */
export function cancelledError(message?: string): CancelledError {
  return new CancelledError(message);
}

/**
 * A wait that removes itself from its task's `_moreWaiters` when it ends (parked primitive waits,
 * sleeps): `_slot` is its index there (-1 when not listed), `_owner` the task.
 */
export interface TrackedWait extends Waiter {
  _owner: Task<unknown> | null;
  _slot: number;
}

export function isTracked(waiter: Waiter): waiter is TrackedWait {
  return typeof (waiter as Partial<TrackedWait>)._slot === "number";
}

/** Ends a tracked wait's listing in its task, if it has one. */
export function unlistWait(waiter: TrackedWait): void {
  const owner = waiter._owner;
  if (owner !== null) {
    waiter._owner = null;
    owner._dropWaiter(waiter);
  }
}
