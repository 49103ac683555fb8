import { outsideTasks } from "./context.js";

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
  /**
   * Called when that loop closes (its `run()` ended), after `disarm()`: release anything kept for
   * later arming (a timer). Another loop may still use the clock afterwards.
   */
  close?(): void;
}

/** What a clock may ask of the loop it drives. */
export interface ClockHost {
  /** True when no callback is ready to run (every task is blocked on something). */
  isIdle(): boolean;
}

/**
 * Wall-clock time from `performance.now()`, woken by one Node timer for the earliest deadline.
 *
 * The timer is started outside any task: a Node timer keeps the async context it was created in
 * (the AsyncLocalStorage store), and one armed by a task would keep that task alive until it
 * fires, however long after the task finished. Disarming only unrefs the timer, and an `arm` for
 * a deadline no earlier than the timer's refs it again instead of starting another: the loop
 * disarms whenever its last timer is cancelled (each `waitFor` that finishes in time), so this
 * turns a clearTimeout + setTimeout pair into two flag flips. A timer that fires before the
 * deadline wakes the loop, which finds nothing due and arms again.
 */
export class RealClock implements Clock {
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** When `timer` fires, in this clock's seconds. */
  private firesAt = Infinity;
  /** Delay of the timer `startTimer` creates, in milliseconds. */
  private delay = 0;
  private wake: (() => void) | null = null;
  private readonly fire = (): void => {
    this.timer = undefined;
    this.firesAt = Infinity;
    const wake = this.wake;
    this.wake = null;
    if (wake !== null) wake();
  };

  now(): number {
    return performance.now() / 1000;
  }

  arm(deadline: number, wake: () => void): void {
    this.wake = wake;
    const timer = this.timer;
    if (timer !== undefined) {
      if (this.firesAt <= deadline) {
        timer.ref();
        return;
      }
      clearTimeout(timer);
    }
    // setTimeout has millisecond resolution and may fire a little early; the loop re-arms if so.
    const now = this.now();
    this.delay = Math.min(Math.max(0, Math.ceil((deadline - now) * 1000)), 2 ** 31 - 1);
    this.firesAt = now + this.delay / 1000;
    outsideTasks(startTimer, this);
  }

  disarm(): void {
    this.wake = null;
    // Kept for the next arm, but no longer holding the process open.
    this.timer?.unref();
  }

  close(): void {
    this.wake = null;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.firesAt = Infinity;
    }
  }

  /** @internal Run by `startTimer`, outside any task. */
  _start(): void {
    this.timer = setTimeout(this.fire, this.delay);
  }
}

function startTimer(clock: RealClock): void {
  clock._start();
}
