import { currentLoop } from "./kernel/context.js";
import type { TimerHandle } from "./kernel/handle.js";
import type { Loop } from "./kernel/loop.js";
import { checkDelay } from "./kernel/validate.js";
import { checkSignal, currentContext, type WaitOptions } from "./kernel/waiting.js";
import { Parked, PROCEED, refusal, WAITING, type ParkKind } from "./sync/parked.js";

function consumeSleep(node: Parked<unknown>): unknown {
  // Cancelled after the timer fired, before the task resumed: a sleep has nothing to pass on.
  if (!node.settle()) throw node._error;
  return node._value;
}

/**
 * A sleep is a parked wait whose waker is a timer: it resumes through the same settle step as
 * every other wait, so a cancel that lands after the timer fired but before the task resumed
 * still makes the `await sleep()` throw (asyncio's `_must_cancel` at the resume point).
 */
const SLEEP: ParkKind<unknown> = { op: "sleep()", consume: consumeSleep };

class SleepWait extends Parked<unknown> {
  timer: TimerHandle | null = null;
  constructor(
    value: unknown,
    readonly deadline: number,
    loop: Loop,
  ) {
    super(loop, SLEEP);
    this._value = value;
  }

  override _onFail(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  override describe(): string {
    if (this.deadline === Infinity) return "sleep(forever)";
    if (this.deadline === 0) return "sleep(0)";
    const left = Math.max(0, this.deadline - (this.host as Loop).time());
    return `sleep (${left.toFixed(3)}s left)`;
  }
}

function wake(node: SleepWait): void {
  node.timer = null;
  if (node._state === WAITING) node.wake();
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
  const ctx = currentContext();
  const refused = refusal(ctx, signal);
  if (refused !== PROCEED) return Promise.reject(refused);
  const loop = ctx !== undefined ? ctx._loop : currentLoop();
  const deadline = d <= 0 ? 0 : loop.time() + d; // sleep(0) needs no clock reading
  const node = new SleepWait(value, deadline, loop);
  if (d <= 0) loop._soon(wake, node);
  else if (d !== Infinity) node.timer = loop._at(deadline, wake, [node]);
  return node.park<T | undefined>(null, ctx, signal);
}
