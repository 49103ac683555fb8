/**
 * The loop's source of time. Every timer of the library goes through the loop, and the loop
 * asks its clock for the time and to be woken, so a test can plug in a `VirtualClock`.
 */
export interface Clock {
  /** Monotonic time in seconds. */
  now(): number;
  /** Arrange one call of `wake` once `now() >= deadline`; replaces any earlier request. */
  arm(deadline: number, wake: () => void): void;
  /** Forget the pending request, if any. */
  disarm(): void;
  /** Called by the loop that will use this clock, so the clock can see when the loop is idle. */
  attach?(host: ClockHost): void;
}

/** What a clock may ask of the loop it drives. */
export interface ClockHost {
  /** True when no callback is ready to run (every task is blocked on something). */
  isIdle(): boolean;
}

/** Wall-clock time from `performance.now()`, woken by one `setTimeout` for the earliest deadline. */
export class RealClock implements Clock {
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;

  now(): number {
    return performance.now() / 1000;
  }

  arm(deadline: number, wake: () => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    // setTimeout has millisecond resolution and may fire a little early; the loop re-arms if so.
    const ms = Math.max(0, Math.ceil((deadline - this.now()) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      wake();
    }, Math.min(ms, 2 ** 31 - 1));
  }

  disarm(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
