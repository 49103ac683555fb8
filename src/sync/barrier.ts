/**
 * Barrier: `parties` tasks wait until all have arrived, then all go on (asyncio.Barrier).
 *
 * States as in asyncio: FILLING (parties arriving), DRAINING (released parties leaving; new
 * arrivals wait until it has drained), RESETTING (after `reset()` with parties inside: they get
 * BrokenBarrierError, new arrivals wait), BROKEN (after `abort()`: every wait throws).
 *
 * Cancellation: a party cancelled while the barrier fills leaves it, so `nWaiting` drops by one
 * and the barrier still needs `parties` arrivals. A party cancelled after the barrier released
 * it just does not return its index; the others are unaffected.
 *
 * @example
 * const barrier = new Barrier(3);
 * const index = await barrier.wait(); // 0, 1 or 2, once three tasks have called wait()
 */
import { inspect } from "node:util";
import { BrokenBarrierError } from "../errors.js";
import { describe } from "../kernel/validate.js";
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import { Parked, PROCEED, refusal, type ParkKind } from "./parked.js";
import { WaiterQueue } from "./waiterQueue.js";

/**
 * A Barrier's state (see `Barrier`): `"filling"` while parties arrive, `"draining"` while the
 * released parties leave, `"resetting"` after `reset()` with parties inside, `"broken"` after
 * `abort()` (for good).
 */
export type BarrierState = "filling" | "draining" | "resetting" | "broken";

/** What `Barrier.statistics()` returns: a snapshot, for tests and monitoring. */
export interface BarrierStatistics {
  /** The current state. */
  state: BarrierState;
  /** How many tasks must call `wait()` to pass the barrier. */
  parties: number;
  /** Parties waiting for the barrier to fill (0 unless filling). */
  nWaiting: number;
  /** Every task inside `wait()`: filling parties, released ones not yet resumed, and arrivals blocked while it drains or resets. */
  tasksWaiting: number;
}

const WAIT: ParkKind = { op: "Barrier.wait()", consume: null };
const BLOCKED: ParkKind = { op: "Barrier.wait() (blocked while it drains)", consume: null };

function wakeAll(queue: WaiterQueue<Parked>): void {
  for (let node = queue.peek(); node !== null; node = queue.peek()) node.wake();
}

export class Barrier {
  private readonly _parties: number;
  private state: BarrierState = "filling";
  /** Parties inside `wait()` past the blocking stage. */
  private count = 0;
  /** Parties waiting for the barrier to fill. */
  private readonly filling = new WaiterQueue<Parked>();
  /** Arrivals waiting for a drain or reset to finish. */
  private readonly blocked = new WaiterQueue<Parked>();

  /** @throws RangeError if `parties` is not an integer >= 1; TypeError if not a number. */
  constructor(parties: number) {
    if (typeof parties !== "number") {
      throw new TypeError(`Barrier expects parties to be a positive integer: received ${describe(parties)}`);
    }
    if (!Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`Barrier expects parties to be a positive integer: received ${describe(parties)}`);
    }
    this._parties = parties;
  }

  /** How many tasks must call `wait()` to pass the barrier. */
  get parties(): number {
    return this._parties;
  }

  /** Tasks waiting for the barrier to fill. */
  get nWaiting(): number {
    return this.state === "filling" ? this.count : 0;
  }

  /** Whether the barrier was aborted. */
  get broken(): boolean {
    return this.state === "broken";
  }

  /**
   * Waits until `parties` tasks have called `wait()`; resolves to this task's arrival index
   * (0 .. parties-1).
   *
   * @throws TypeError (at the call) if `options.signal` is not an AbortSignal. Rejects with
   * BrokenBarrierError if the barrier is aborted, or reset while this task waits.
   */
  wait(options?: WaitOptions): Promise<number> {
    const signal = options === undefined ? undefined : checkSignal("Barrier.wait()", options);
    return this.arrive(signal);
  }

  private async arrive(signal: AbortSignal | undefined): Promise<number> {
    const task = currentContext();
    const refused = refusal(task, signal);
    if (refused !== PROCEED) throw refused;

    // Block while the barrier drains or resets.
    while (this.state === "draining" || this.state === "resetting") {
      const node = new Parked(this, BLOCKED);
      await node.park(this.blocked, task, signal);
      if (!node.settle()) throw node._error;
    }
    if (this.state === "broken") throw new BrokenBarrierError("Barrier.wait(): the barrier is broken (aborted)");

    const index = this.count++;
    try {
      if (index + 1 === this._parties) {
        this.state = "draining";
        wakeAll(this.filling);
      } else {
        const node = new Parked(this, WAIT);
        await node.park(this.filling, task, signal);
        if (!node.settle()) throw node._error;
        // Checked when the party resumes, as asyncio does after re-acquiring its condition.
        const state = this.state as BarrierState;
        if (state === "broken" || state === "resetting") {
          throw new BrokenBarrierError("Barrier.wait(): the barrier was aborted or reset while waiting");
        }
      }
      return index;
    } finally {
      this.count--;
      this.exit();
    }
  }

  /**
   * Returns the barrier to the empty FILLING state; parties waiting in it get BrokenBarrierError.
   * Takes effect at once (the promise is for asyncio parity: `await barrier.reset()`).
   */
  reset(): Promise<void> {
    if (this.count > 0) {
      this.state = "resetting";
      wakeAll(this.filling);
    } else {
      this.state = "filling";
      wakeAll(this.blocked);
    }
    return Promise.resolve();
  }

  /**
   * Breaks the barrier: every current and future `wait()` throws BrokenBarrierError.
   * Takes effect at once (the promise is for asyncio parity: `await barrier.abort()`).
   */
  abort(): Promise<void> {
    this.state = "broken";
    wakeAll(this.filling);
    wakeAll(this.blocked);
    return Promise.resolve();
  }

  /**
   * A snapshot of the barrier's state and waiters, for tests and monitoring.
   *
   * @example
   * const barrier = new Barrier(2);
   * console.log(barrier.statistics()); // { state: "filling", parties: 2, nWaiting: 0, tasksWaiting: 0 }
   */
  statistics(): BarrierStatistics {
    return {
      state: this.state,
      parties: this._parties,
      nWaiting: this.nWaiting,
      tasksWaiting: this.count + this.blocked.size,
    };
  }

  [inspect.custom](): string {
    return this.state === "broken"
      ? "<Barrier broken>"
      : `<Barrier ${this.state} waiters=${this.nWaiting}/${this._parties}>`;
  }

  /** The last party out ends a drain or reset and lets blocked arrivals in. */
  private exit(): void {
    if (this.count === 0) {
      if (this.state === "resetting" || this.state === "draining") this.state = "filling";
      wakeAll(this.blocked);
    }
  }
}
