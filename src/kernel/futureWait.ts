/**
 * A task awaiting a Future (or a Task): a parked wait like any other, so it resumes through the
 * same settle step. Awaiting makes the future what the task waits on, as asyncio's Task does with
 * its `_fut_waiter`: cancelling the task cancels the future (an awaited task is cancelled in
 * turn), and a cancel that lands after the future completed but before the task resumed makes the
 * await throw CancelledError; the future keeps its outcome.
 */
import { CancelledError } from "../errors.js";
import { Parked, WAITING, type ParkKind } from "../sync/parked.js";
import { cancelCycle } from "./cancelCycle.js";
import type { CancelContext } from "./scope.js";

/** The part of Future this wait uses (a structural type: no import cycle with future.ts). */
export interface Awaitable {
  cancel(message?: string): boolean;
  _addListener(listener: { _onFutureDone(): void }): void;
  /** The outcome, as `result()` gives it (throws the exception or the CancelledError). */
  _outcome(): unknown;
  /** Counts the outcome as looked at (no "exception was never retrieved" report). */
  _markRetrieved(): void;
  /** A task whose cancel() is running right now (see Task._inCancel). */
  readonly _inCancel?: boolean | undefined;
  /** A task that finished with its result although a cancel reached it in its last step. */
  readonly _cancelWithdrawn?: boolean | undefined;
  describe(): string;
}

type OnFulfilled = ((value: unknown) => unknown) | null | undefined;
type OnRejected = ((reason: unknown) => unknown) | null | undefined;

function consumeOutcome(node: Parked<unknown>): unknown {
  const wait = node as FutureWait;
  let late = !wait.settle();
  if (!late && wait._error !== undefined && wait.host._cancelWithdrawn === true) {
    // This wait passed its task's cancel on to the awaited task, which withdrew it (it had already
    // returned, in asyncio's order): the cancel belongs to the awaiting task, at this await.
    late = true;
  }
  // Settled and delivered as a native `then` would: the handler's return value (or throw) is the
  // outcome of the promise `then()` returned.
  let value: unknown;
  try {
    if (late) throw wait._error;
    value = wait.host._outcome();
  } catch (error) {
    return rejectedWith(wait, error);
  }
  const onFulfilled = wait.onFulfilled;
  return typeof onFulfilled === "function" ? onFulfilled(value) : value;
}

/** What `then()`'s promise settles with when the await failed: the rejection handler's value, or the error again. */
function rejectedWith(wait: FutureWait, error: unknown): unknown {
  const onRejected = wait.onRejected;
  if (typeof onRejected !== "function") throw error;
  return onRejected(error);
}

const AWAIT: ParkKind<unknown> = { op: "await", consume: consumeOutcome };

export class FutureWait extends Parked<unknown> {
  declare readonly host: Awaitable;

  constructor(
    future: Awaitable,
    readonly onFulfilled: OnFulfilled,
    readonly onRejected: OnRejected,
  ) {
    super(future, AWAIT);
  }

  /** Starts the wait in `ctx`; returns the promise `then()` hands back. */
  start<R>(ctx: CancelContext): Promise<R> {
    const promise = this.park<R>(null, ctx, undefined);
    this.host._addListener(this);
    return promise;
  }

  /** The future completed: its outcome is this wait's grant. */
  _onFutureDone(): void {
    if (this._state === WAITING) this.wake();
    // An await cut short to unwind a cycle: it stood for the awaiting, so the outcome (a gather's
    // CancelledError, typically) is not reported as never retrieved.
    else this.host._markRetrieved();
  }

  /** Cancelling the wait cancels the future, as asyncio cancels `_fut_waiter`; a done future's outcome arrived too late. */
  override cancel(message?: string): boolean {
    if (this._state !== WAITING) return super.cancel(message);
    if (this.host._inCancel === true) {
      // An await cycle: the task awaited here is the one being cancelled, further up this call.
      // Cancelling it again would go round for ever; this await fails instead, which unwinds the
      // cycle (asyncio has no guard here and recurses until RecursionError).
      this.fail(new CancelledError(message));
      return true;
    }
    const accepted = this.host.cancel(message);
    if (cancelCycle.hit) {
      // The awaited future's cancel came back round to a task being cancelled (through a gather
      // of it, say): this await is on the cycle, and failing it unwinds the cycle.
      cancelCycle.hit = false;
      this.fail(new CancelledError(message));
      return true;
    }
    if (!accepted) return false;
    this._error = new CancelledError(message); // passed on: see consumeOutcome
    return true;
  }

  /** A wait failed without its future (an await cycle cut): delivered through the handlers, as `then` promises. */
  override _deliverFailure(error: unknown): void {
    let result: unknown;
    try {
      result = rejectedWith(this, error);
    } catch (thrown) {
      this._reject(thrown);
      return;
    }
    this._resolveWith(result);
  }

  /** The awaiting task's pending cancel was delivered by cancelling the awaited future (Future.then). */
  _passedOn(message: string | undefined): void {
    this._error = new CancelledError(message);
  }

  override describe(): string {
    return this.host.describe();
  }
}
