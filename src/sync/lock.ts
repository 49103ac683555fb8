/**
 * Lock: mutual exclusion between tasks, FIFO fair (asyncio.Lock).
 *
 * A lock is held by nobody or by one holder; `acquire()` waits until it is free and resolves to
 * a `Guard`: `using _ = await lock.acquire()` is Python's `async with lock:`.
 *
 * Fairness: `release()` hands the lock to the oldest waiter at once (it is promised to it until
 * that task resumes), so a new caller never barges past a waiter, even one already woken.
 * `locked()` is false during that hand-off, as in asyncio (nobody holds it yet).
 *
 * Cancellation: a waiter cancelled before its turn leaves the queue and nothing changed. One
 * cancelled after it was handed the lock but before it resumed passes the lock to the next waiter
 * and fails with CancelledError (CPython bpo-27585 and bpo-32734: cancel +
 * release never grants two holders, and never strands the lock).
 *
 * @example
 * const lock = new Lock();
 * {
 *   using _ = await lock.acquire();
 *   counter += 1;
 * }
 */
import { inspect } from "node:util";
import { InvalidStateError } from "../errors.js";
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import type { CancelContext } from "../kernel/scope.js";
import { Guard } from "./guard.js";
import { Parked, PROCEED, refusal, type ParkKind } from "./parked.js";
import { WaiterQueue } from "./waiterQueue.js";

/**
 * What `Lock.statistics()` returns: a snapshot, for tests and monitoring. After a cancelled
 * `acquire()` has settled, `tasksWaiting` no longer counts it (cancelling a wait leaves the lock
 * as it was).
 */
export interface LockStatistics {
  /** Whether some holder has the lock. */
  locked: boolean;
  /** Tasks inside `acquire()`: queued, or handed the lock and not yet resumed. */
  tasksWaiting: number;
}

function consumeAcquire(node: Parked): Guard {
  return (node.host as Lock)._consume(node);
}

function consumeReacquire(node: Parked): unknown {
  return (node.host as Lock)._consumeReacquire(node);
}

const ACQUIRE: ParkKind = { op: "Lock.acquire()", consume: consumeAcquire };
const REACQUIRE: ParkKind = { op: "Condition.wait() re-acquiring its lock", consume: consumeReacquire, shielded: true };

export class Lock {
  private held = false;
  private readonly waiters = new WaiterQueue<Parked>();
  /** The woken waiter the lock is promised to, until it resumes. */
  private handoff: Parked | null = null;

  /** Whether the lock is held. */
  locked(): boolean {
    return this.held;
  }

  /**
   * Waits until the lock is free, takes it and resolves to a guard that releases it.
   * Cancelling the task (or aborting `signal`) while waiting rejects with that reason and leaves
   * the lock as it was.
   *
   * @throws TypeError if `options.signal` is not an AbortSignal.
   */
  acquire(options?: WaitOptions): Promise<Guard> {
    const signal = options === undefined ? undefined : checkSignal("Lock.acquire()", options);
    const task = currentContext();
    const refused = refusal(task, signal);
    if (refused !== PROCEED) return Promise.reject(refused);
    if (!this.held && this.handoff === null && this.waiters.isEmpty()) {
      this.held = true;
      return Promise.resolve(new Guard(this));
    }
    return new Parked(this, ACQUIRE).park<Guard>(this.waiters, task, signal);
  }

  /**
   * Releases the lock; the oldest waiter (if any) gets it next. Any code may release, as in
   * asyncio (a lock is not owned by a task); prefer the guard.
   *
   * @throws InvalidStateError if the lock is not held.
   */
  release(): void {
    if (!this.held) throw new InvalidStateError("Lock.release(): the lock is not acquired");
    this.held = false;
    this.wakeFirst();
  }

  /** Counts of waiters and holders, for tests and monitoring. */
  statistics(): LockStatistics {
    return { locked: this.held, tasksWaiting: this.waiters.size + (this.handoff === null ? 0 : 1) };
  }

  [inspect.custom](): string {
    const n = this.waiters.size + (this.handoff === null ? 0 : 1);
    return `<${this.constructor.name} ${this.held ? "locked" : "unlocked"}${n > 0 ? ` waiters=${n}` : ""}>`;
  }

  /** @internal The consume step of a parked acquire (see Parked). */
  _consume(node: Parked): Guard {
    this.handoff = null;
    if (node.settle()) {
      this.held = true;
      return new Guard(this);
    }
    // Cancelled after being handed the lock: pass it on, then fail.
    this.wakeFirst();
    throw node._error;
  }

  /**
   * @internal For Condition.wait(): takes the lock back whatever happens (a shielded wait that
   * keeps its place in line). Returns null if taken at once, else a promise of the cancellation
   * that arrived meanwhile (undefined if none), to be thrown once the lock is held.
   */
  _reacquire(task: CancelContext | undefined): Promise<unknown> | null {
    if (!this.held && this.handoff === null && this.waiters.isEmpty()) {
      this.held = true;
      return null;
    }
    return new Parked(this, REACQUIRE).park<unknown>(this.waiters, task, undefined);
  }

  /** @internal */
  _consumeReacquire(node: Parked): unknown {
    this.handoff = null;
    node.settle();
    this.held = true;
    return node._error;
  }

  private wakeFirst(): void {
    if (this.handoff !== null) return;
    const node = this.waiters.peek();
    if (node === null) return;
    this.handoff = node;
    node.wake();
  }
}
