import { CancelledError } from "./errors.js";
import { currentLoop } from "./kernel/context.js";
import type { TimerHandle } from "./kernel/handle.js";
import type { Loop } from "./kernel/loop.js";
import { checkDelay } from "./kernel/validate.js";
import type { Task } from "./kernel/task.js";
import { checkSignal, linkSignal, runningTask, takePendingCancel, unlistWait, type TrackedWait, type WaitOptions } from "./kernel/waiting.js";

// The promise executor stores its resolving functions here rather than closing over the sleeper.
let capturedResolve: (value: unknown) => void = () => undefined;
let capturedReject: (reason: unknown) => void = () => undefined;
function captureResolvers(resolve: (value: never) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

/** The wait behind one `sleep()`: what the task awaits, and what its `cancel()` rejects. */
class Sleeper<T> implements TrackedWait {
  settled = false;
  /** The task listing this sleep among several of its waits (see TrackedWait). */
  _owner: Task<unknown> | null = null;
  _slot = -1;
  timer: TimerHandle | null = null;
  unlink: (() => void) | null = null;
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;
  constructor(
    readonly value: T,
    readonly deadline: number,
    readonly loop: Loop,
  ) {}

  done(): boolean {
    return this.settled;
  }

  cancel(message?: string): boolean {
    return this.fail(new CancelledError(message));
  }

  abort(reason: unknown): void {
    this.fail(reason);
  }

  describe(): string {
    if (this.deadline === Infinity) return "sleep(forever)";
    if (this.deadline === 0) return "sleep(0)";
    const left = Math.max(0, this.deadline - this.loop.time());
    return `sleep (${left.toFixed(3)}s left)`;
  }

  private fail(reason: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.timer?.cancel();
    this.unlink?.();
    unlistWait(this);
    this.reject(reason);
    return true;
  }
}

function wake(sleeper: Sleeper<unknown>): void {
  if (sleeper.settled) return;
  sleeper.settled = true;
  sleeper.unlink?.();
  unlistWait(sleeper);
  sleeper.resolve(sleeper.value);
}

/**
 * Resolves with `value` after `delay` seconds. `sleep(0)` yields to the event loop for one turn,
 * so other tasks, timers and I/O run (a `sleep(0)` loop does not starve I/O).
 * A negative delay is treated as 0, as in asyncio; `Infinity` sleeps until cancelled.
 *
 * @throws RangeError if `delay` is NaN; TypeError if it is not a number.
 * @example
 * await sleep(0.5);                  // half a second
 * const v = await sleep(1, "done");  // resolves to "done"
 */
export function sleep(delay: number): Promise<void>;
export function sleep<T>(delay: number, value: T, options?: WaitOptions): Promise<T>;
export function sleep<T>(delay: number, value?: T, options?: WaitOptions): Promise<T | undefined> {
  const d = checkDelay("sleep()", delay);
  const signal = checkSignal("sleep()", options);
  const task = runningTask();
  const pending = takePendingCancel(task);
  if (pending !== null) return Promise.reject(pending);
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  const loop = task !== undefined ? task._loop : currentLoop();
  const deadline = d <= 0 ? 0 : loop.time() + d; // sleep(0) needs no clock reading
  const sleeper = new Sleeper<T | undefined>(value, deadline, loop);
  const promise = new Promise<T | undefined>(captureResolvers);
  sleeper.resolve = capturedResolve;
  sleeper.reject = capturedReject;
  if (d <= 0) loop._soon(wake, sleeper as Sleeper<unknown>);
  else if (d !== Infinity) sleeper.timer = loop._at(deadline, wake, [sleeper]);
  if (signal !== undefined) sleeper.unlink = linkSignal(signal, sleeper);
  if (task !== undefined) task._waitOn(sleeper);
  return promise;
}
