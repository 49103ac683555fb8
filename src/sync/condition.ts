/**
 * Condition: wait for a state change while holding a lock (asyncio.Condition).
 *
 * `wait()` releases the lock, sleeps until notified, then takes the lock back before it returns
 * or throws: after `wait()`, by any exit, the caller holds the lock again (a cancelled wait still
 * re-acquires; the re-acquire keeps its place in line and the cancellation is thrown afterwards).
 *
 * A notification is never lost to a cancellation (CPython gh-112202): a waiter that was notified
 * but then fails (cancelled before it resumed, or while re-acquiring the lock) passes the
 * notification on to the next waiter. A waiter cancelled before any notification does not, so
 * there is no spurious wake-up.
 *
 * @example
 * const cond = new Condition();
 * {
 *   using _ = await cond.acquire();
 *   await cond.waitFor(() => items.length > 0);
 *   take(items);
 * }
 */
import { inspect } from "node:util";
import { InvalidStateError } from "../errors.js";
import { describe } from "../kernel/validate.js";
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import type { Guard } from "./guard.js";
import { Lock } from "./lock.js";
import { Parked, PROCEED, refusal, type ParkKind } from "./parked.js";
import { WaiterQueue } from "./waiterQueue.js";

/** What `Condition.statistics()` returns: a snapshot, for tests and monitoring. */
export interface ConditionStatistics {
  /** Whether the underlying lock is held. */
  locked: boolean;
  /** Tasks in `wait()` that were not notified yet. */
  tasksWaiting: number;
  /** Tasks waiting for the underlying lock (including notified ones re-acquiring it). */
  lockTasksWaiting: number;
}

const NONE: unique symbol = Symbol("none");
const WAIT: ParkKind = { op: "Condition.wait()", consume: null };

export class Condition {
  private readonly lock: Lock;
  private readonly waiters = new WaiterQueue<Parked>();

  /**
   * @param lock the lock to use (shared with other conditions); a new Lock if omitted.
   * @throws TypeError if `lock` is not a Lock.
   */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(`Condition expects a Lock or nothing: received ${describe(lock)}`);
    }
    this.lock = lock ?? new Lock();
  }

  /**
   * Whether the underlying lock is held (by anyone: like `Lock.locked()`, it does not say which
   * task holds it).
   */
  locked(): boolean {
    return this.lock.locked();
  }

  /** Acquires the underlying lock (see `Lock.acquire`). */
  acquire(options?: WaitOptions): Promise<Guard> {
    return this.lock.acquire(options);
  }

  /** Releases the underlying lock. @throws InvalidStateError if it is not held. */
  release(): void {
    if (!this.lock.locked()) throw notAcquired("release()");
    this.lock.release();
  }

  /**
   * Releases the lock, waits until notified, re-acquires the lock and resolves to true.
   * If cancelled (or `signal` aborts), it still re-acquires the lock, then throws.
   *
   * @throws TypeError (at the call) if `options.signal` is not an AbortSignal. Rejects with
   * InvalidStateError if the lock is not held.
   */
  wait(options?: WaitOptions): Promise<true> {
    const signal = options === undefined ? undefined : checkSignal("Condition.wait()", options);
    return this.waitChecked(signal);
  }

  private async waitChecked(signal: AbortSignal | undefined): Promise<true> {
    if (!this.lock.locked()) throw notAcquired("wait()");
    const task = currentContext();
    const refused = refusal(task, signal);
    if (refused !== PROCEED) throw refused;

    this.lock.release();
    const node = new Parked(this, WAIT);
    let failure: unknown = NONE;
    let notified = false;
    try {
      await node.park(this.waiters, task, signal);
      notified = true;
      if (!node.settle()) failure = node._error; // notified, then cancelled before it resumed
    } catch (error) {
      failure = error; // cancelled or aborted before any notification
    }

    // Must re-acquire the lock even if the wait failed.
    const reacquired = this.lock._reacquire(task);
    if (reacquired !== null) {
      const cancelled = await reacquired;
      if (cancelled !== undefined) failure = cancelled;
    }
    if (failure !== NONE) {
      // The notification this task consumed would be lost with it: hand it to the next waiter.
      if (notified) this.wake(1);
      throw failure;
    }
    return true;
  }

  /**
   * Waits until `predicate()` is truthy (checking it first) and returns its value. The lock must
   * be held whenever the predicate is false.
   *
   * @throws TypeError (at the call) if `predicate` is not a function or `options.signal` is not an
   * AbortSignal. Rejects with InvalidStateError if the predicate is false and the lock is not held.
   */
  waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    if (typeof predicate !== "function") {
      throw new TypeError(`Condition.waitFor() expects a predicate function: received ${describe(predicate)}`);
    }
    const signal = options === undefined ? undefined : checkSignal("Condition.waitFor()", options);
    return this.waitForChecked(predicate, signal);
  }

  private async waitForChecked<T>(predicate: () => T, signal: AbortSignal | undefined): Promise<T> {
    let result = predicate();
    while (!result) {
      await this.waitChecked(signal);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiting tasks (oldest first). Each returns from `wait()` once it re-acquires
   * the lock, which the caller of `notify()` still holds.
   *
   * @throws RangeError if `n` is not a non-negative integer or Infinity (all); TypeError if not a
   * number; InvalidStateError if the lock is not held.
   */
  notify(n = 1): void {
    if (typeof n !== "number") {
      throw new TypeError(`Condition.notify() expects n to be a non-negative integer (or Infinity for all): received ${describe(n)}`);
    }
    if (!(Number.isInteger(n) || n === Infinity) || n < 0) {
      throw new RangeError(`Condition.notify() expects n to be a non-negative integer (or Infinity for all): received ${describe(n)}`);
    }
    if (!this.lock.locked()) throw notAcquired("notify()");
    this.wake(n);
  }

  /** Wakes every waiting task. @throws InvalidStateError if the lock is not held. */
  notifyAll(): void {
    if (!this.lock.locked()) throw notAcquired("notifyAll()");
    this.wake(this.waiters.size);
  }

  /**
   * A snapshot of the lock state and the waiters, for tests and monitoring. After a cancelled
   * `wait()` has returned, it counts in neither `tasksWaiting` nor `lockTasksWaiting`.
   */
  statistics(): ConditionStatistics {
    return {
      locked: this.lock.locked(),
      tasksWaiting: this.waiters.size,
      lockTasksWaiting: this.lock.statistics().tasksWaiting,
    };
  }

  [inspect.custom](): string {
    const n = this.waiters.size;
    return `<Condition ${this.lock.locked() ? "locked" : "unlocked"}${n > 0 ? ` waiters=${n}` : ""}>`;
  }

  private wake(n: number): void {
    for (let i = 0; i < n; i++) {
      const node = this.waiters.peek();
      if (node === null) return;
      node.wake();
    }
  }
}

function notAcquired(op: string): InvalidStateError {
  return new InvalidStateError(`Condition.${op}: the lock is not acquired (acquire it first)`);
}
