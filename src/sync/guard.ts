/**
 * What `acquire()` resolves to: one hold on a Lock, Semaphore or Condition, released by
 * `release()` or by leaving a `using` block (`using _ = await lock.acquire()` mirrors Python's
 * `async with lock:`).
 *
 * A guard releases its own hold at most once, so it can never release a hold someone else took
 * later: a second `guard.release()` throws (it is a bug), while `[Symbol.dispose]` after an
 * explicit `release()` does nothing (so releasing early inside a `using` block is fine).
 */
import { InvalidStateError } from "../errors.js";
import { observer } from "../kernel/observe.js";
import "../kernel/polyfills.js";

/** Something with a `release()` of one hold. */
export interface Releasable {
  release(): void;
}

export class Guard implements Disposable {
  private held = true;

  /** @internal Created by `acquire()`. */
  constructor(private readonly target: Releasable) {
    if (observer !== null) observer.acquired(target);
  }

  /** Whether this guard still holds (has not released). */
  get holding(): boolean {
    return this.held;
  }

  /**
   * Releases the hold this guard represents.
   * @throws InvalidStateError if this guard already released its hold.
   */
  release(): void {
    if (!this.held) {
      throw new InvalidStateError(`Cannot release through this guard: it already released its hold on ${describeTarget(this.target)}`);
    }
    this.held = false;
    this.target.release();
  }

  /** Releases the hold unless `release()` was already called. */
  [Symbol.dispose](): void {
    if (!this.held) return;
    this.held = false;
    this.target.release();
  }
}

function describeTarget(target: Releasable): string {
  return (target as { constructor?: { name?: string } }).constructor?.name ?? "its primitive";
}
