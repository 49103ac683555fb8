import type { Clock, ClockHost } from "../kernel/clock.js";
import { outsideTasks } from "../kernel/context.js";

function scheduleImmediate(callback: () => void): void {
  setImmediate(callback);
}

/**
 * Options of `new VirtualClock()`.
 *
 * @example
 * const clock = new VirtualClock({ start: 1000, autojump: false }); // time moves only by advance()
 */
export interface VirtualClockOptions {
  /** The time `now()` starts at, in seconds. Default 0. */
  start?: number;
  /**
   * Jump to the next deadline as soon as the loop is idle (every task blocked). Default true.
   * With false, time moves only through `advance()`.
   */
  autojump?: boolean;
}

/**
 * A `Clock` for deterministic tests of timeouts: time stands still while tasks run, and jumps
 * straight to the next deadline once every task is blocked (like Trio's MockClock with
 * autojump). A test of a 30-second timeout takes microseconds and never flakes.
 *
 * Idle means: the loop has no ready callback for two consecutive turns of Node's event loop.
 * Work that waits on real I/O (sockets, worker threads) looks idle too, so time may jump past
 * it; use the real clock, or `autojump: false` and `advance()`, around such work.
 *
 * @example
 * await run(async () => {
 *   await assert.rejects(waitFor(sleep(3600), 1), TimeoutError); // instant
 * }, { clock: new VirtualClock() });
 */
export class VirtualClock implements Clock {
  /**
   * Whether time jumps to the next deadline once the loop is idle (`options.autojump`, default
   * true); when false, only `advance()` moves time.
   */
  readonly autojump: boolean;
  private t: number;
  private deadline = Infinity;
  private wake: (() => void) | null = null;
  private host: ClockHost | null = null;
  private checking = false;
  private idleTurns = 0;
  private readonly check = (): void => this.onCheck();

  constructor(options: VirtualClockOptions = {}) {
    const start = options.start ?? 0;
    if (typeof start !== "number" || !Number.isFinite(start)) {
      throw new RangeError(`VirtualClock expects options.start to be a finite number of seconds: received ${String(start)}`);
    }
    this.t = start;
    this.autojump = options.autojump ?? true;
  }

  now(): number {
    return this.t;
  }

  arm(deadline: number, wake: () => void): void {
    this.deadline = deadline;
    this.wake = wake;
    this.idleTurns = 0;
    this.scheduleCheck();
  }

  disarm(): void {
    this.deadline = Infinity;
    this.wake = null;
  }

  attach(host: ClockHost): void {
    this.host = host;
  }

  /**
   * Moves time forward by `seconds` and fires what became due.
   * @throws TypeError if `seconds` is not a number; RangeError if it is negative, NaN or infinite.
   */
  advance(seconds: number): void {
    if (typeof seconds !== "number") {
      throw new TypeError(`VirtualClock.advance() expects a number of seconds: received ${typeof seconds}`);
    }
    if (!(seconds >= 0) || !Number.isFinite(seconds)) {
      throw new RangeError(`VirtualClock.advance() expects a finite, non-negative number of seconds: received ${String(seconds)}`);
    }
    this.t += seconds;
    this.fireIfDue();
  }

  /** The next deadline the loop asked to be woken at (Infinity if none). */
  nextDeadline(): number {
    return this.deadline;
  }

  private scheduleCheck(): void {
    if (this.checking) return;
    this.checking = true;
    // Outside any task: the immediate (and each one it schedules in turn) would keep the context
    // of the task that armed the clock, keeping that task alive while the loop stays busy.
    outsideTasks(scheduleImmediate, this.check);
  }

  private onCheck(): void {
    this.checking = false;
    if (this.wake === null) return;
    if (this.deadline <= this.t) {
      this.fireIfDue();
      return;
    }
    if (!this.autojump) return;
    const idle = this.host === null || this.host.isIdle();
    this.idleTurns = idle ? this.idleTurns + 1 : 0;
    if (this.idleTurns >= 2) {
      this.idleTurns = 0;
      this.t = this.deadline;
      this.fireIfDue();
      return;
    }
    this.scheduleCheck();
  }

  private fireIfDue(): void {
    const wake = this.wake;
    if (wake === null || this.deadline > this.t) {
      if (wake !== null) this.scheduleCheck();
      return;
    }
    this.wake = null;
    this.deadline = Infinity;
    wake();
  }
}
