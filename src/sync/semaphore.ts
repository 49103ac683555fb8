/**
 * Semaphore: a counter of permits (asyncio.Semaphore). `acquire()` takes one, waiting while there
 * is none, and resolves to a guard; `release()` returns one. `BoundedSemaphore` also refuses to
 * be released more often than it was acquired.
 *
 * Fairness (CPython gh-90155 and its 3.13 form): `release()` hands the permit to the oldest
 * waiter at once, and while any waiter is queued or woken-but-not-resumed a new `acquire()`
 * queues behind it, even if permits are free; when a woken waiter resumes it wakes as many
 * further waiters as there are free permits. So a burst of releases wakes waiters in FIFO order.
 *
 * Cancellation: a waiter cancelled before its wake-up leaves the queue (no permit moves). One
 * cancelled after it was handed a permit but before it resumed gives the permit back and wakes
 * the next waiter. Permits are never leaked or duplicated.
 *
 * @example
 * const sem = new Semaphore(5);
 * await Promise.all(urls.map(async (url) => {
 *   using _ = await sem.acquire();
 *   return fetch(url, { signal: currentSignal() });
 * }));
 */
import { inspect } from "node:util";
import { describe } from "../kernel/validate.js";
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import { Guard } from "./guard.js";
import { Parked, PROCEED, refusal, type ParkKind } from "./parked.js";
import { WaiterQueue } from "./waiterQueue.js";

/** What `Semaphore.statistics()` returns: a snapshot, for tests and monitoring. */
export interface SemaphoreStatistics {
  /** Free permits. */
  value: number;
  /** Whether `acquire()` would wait. */
  locked: boolean;
  /** Tasks inside `acquire()`: queued, or handed a permit and not yet resumed. */
  tasksWaiting: number;
}

function consumeAcquire(node: Parked): Guard {
  return (node.host as Semaphore)._consume(node);
}

const ACQUIRE: ParkKind = { op: "Semaphore.acquire()", consume: consumeAcquire };

function checkValue(where: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`${where} expects value (its initial permits) to be a non-negative integer: received ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${where} expects value (its initial permits) to be a non-negative integer: received ${describe(value)}`);
  }
  return value;
}

export class Semaphore {
  /** @internal Free permits (those handed to woken waiters are already taken). */
  protected _value: number;
  private readonly waiters = new WaiterQueue<Parked>();
  /** Waiters handed a permit that have not resumed yet. */
  private woken = 0;

  /** @throws RangeError if `value` is not an integer >= 0; TypeError if not a number. */
  constructor(value = 1) {
    this._value = checkValue(new.target.name, value);
  }

  /** Whether `acquire()` would wait: no free permit, or others are ahead in line. */
  locked(): boolean {
    return this._value === 0 || this.waiters.size > 0 || this.woken > 0;
  }

  /**
   * Takes a permit, waiting for one if needed (FIFO), and resolves to a guard that returns it.
   * @throws TypeError if `options.signal` is not an AbortSignal.
   */
  acquire(options?: WaitOptions): Promise<Guard> {
    const signal = options === undefined ? undefined : checkSignal(`${this.constructor.name}.acquire()`, options);
    const task = currentContext();
    const refused = refusal(task, signal);
    if (refused !== PROCEED) return Promise.reject(refused);
    if (this._value > 0 && this.woken === 0 && this.waiters.isEmpty()) {
      this._value--;
      return Promise.resolve(new Guard(this));
    }
    return new Parked(this, ACQUIRE).park<Guard>(this.waiters, task, signal);
  }

  /** Returns a permit; the oldest waiter (if any) gets it. */
  release(): void {
    this._value++;
    this.wakeNext();
  }

  /**
   * A snapshot of the free permits and the waiters, for tests and monitoring. A permit handed to
   * a woken waiter that has not resumed yet is counted as taken (not in `value`) and that waiter
   * is still in `tasksWaiting`.
   */
  statistics(): SemaphoreStatistics {
    return { value: this._value, locked: this.locked(), tasksWaiting: this.waiters.size + this.woken };
  }

  [inspect.custom](): string {
    const n = this.waiters.size + this.woken;
    return `<${this.constructor.name} ${this.locked() ? "locked" : "unlocked"} value=${this._value}${n > 0 ? ` waiters=${n}` : ""}>`;
  }

  /** @internal */
  _consume(node: Parked): Guard {
    this.woken--;
    const granted = node.settle();
    if (!granted) this._value++; // cancelled after the wake-up: give the permit back
    // Waiters that queued behind us for FIFO's sake may go now, as many as there are permits.
    while (this._value > 0 && this.wakeNext());
    if (!granted) throw node._error;
    return new Guard(this);
  }

  private wakeNext(): boolean {
    const node = this.waiters.peek();
    if (node === null) return false;
    this._value--;
    this.woken++;
    node.wake();
    return true;
  }
}

/** A Semaphore that throws if released more often than acquired (its value would exceed the initial one). */
export class BoundedSemaphore extends Semaphore {
  /** The initial (and highest) value. */
  readonly boundValue: number;

  constructor(value = 1) {
    super(value);
    this.boundValue = value;
  }

  /** @throws RangeError if every permit is already free. */
  override release(): void {
    if (this._value >= this.boundValue) {
      throw new RangeError(
        `BoundedSemaphore.release(): released too many times (value would exceed its initial value ${this.boundValue}: all permits are already free)`,
      );
    }
    super.release();
  }

  override [inspect.custom](): string {
    return super[inspect.custom]().replace(/value=(\d+)/, `value=$1/${this.boundValue}`);
  }
}
