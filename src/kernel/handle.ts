import type { AsyncResource } from "node:async_hooks";
import type { HeapItem } from "./heap.js";

/** A callback scheduled on the loop, returned by `callSoon`. `cancel()` stops it from running. */
export class Handle {
  /** @internal */ _cancelled = false;
  /**
   * @internal The context of the code that scheduled it (asyncio runs a callback in a copy of its
   * caller's context), outside any task; null for the loop's own callbacks.
   */
  _context: AsyncResource | null = null;
  /** @internal */
  constructor(
    /** @internal */ readonly _callback: (...args: never[]) => unknown,
    /** @internal */ readonly _args: readonly unknown[],
  ) {}

  /**
   * Stops the callback from running, if it has not run yet. Calling it again, or after the
   * callback ran, does nothing.
   */
  cancel(): void {
    this._cancelled = true;
  }

  /** Whether `cancel()` was called (also true if it was called after the callback ran). */
  cancelled(): boolean {
    return this._cancelled;
  }

  /** @internal */
  _run(): void {
    if (this._cancelled) return;
    const callback = this._callback as (...args: unknown[]) => unknown;
    const context = this._context;
    if (context === null) callback(...this._args);
    else context.runInAsyncScope(callback, null, ...this._args);
  }
}

/** A callback scheduled at a time on the loop's clock, returned by `callLater` / `callAt`. */
export class TimerHandle extends Handle implements HeapItem {
  /** @internal */ _onCancel: ((handle: TimerHandle) => void) | null;
  /** @internal */
  constructor(
    /** @internal */ readonly deadline: number,
    /** @internal */ readonly seq: number,
    callback: (...args: never[]) => unknown,
    args: readonly unknown[],
    onCancel: (handle: TimerHandle) => void,
  ) {
    super(callback, args);
    this._onCancel = onCancel;
  }

  /** The deadline, in the loop's seconds. */
  when(): number {
    return this.deadline;
  }

  /**
   * Stops the callback from running, if it has not run yet, and drops the timer from the loop: once
   * no live timer is left the clock is disarmed, so a cancelled long timer does not keep the
   * process alive. Calling it again, or after the callback ran, does nothing.
   */
  override cancel(): void {
    if (this._cancelled) return;
    this._cancelled = true;
    const onCancel = this._onCancel;
    this._onCancel = null;
    if (onCancel !== null) onCancel(this);
  }
}
