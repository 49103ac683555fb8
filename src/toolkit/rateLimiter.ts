/**
 * RateLimiter: a token bucket (aiolimiter's AsyncLimiter, p-queue's `interval`, in the task model).
 * The bucket holds at most `burst` tokens and refills at `rate` tokens per `per` seconds on the
 * loop's clock (so a `VirtualClock` drives it in tests). `acquire(weight)` takes `weight` tokens,
 * waiting in a FIFO line while there are not enough.
 *
 * The bound it keeps: over any window of `w` seconds, the weight granted is at most
 * `burst + rate × w / per` (a full bucket, then the refill).
 *
 * Fairness: the line is strictly FIFO. A heavy acquire at its head is not overtaken by lighter ones
 * behind it, and while anyone waits a new `acquire()` (or `tryAcquire()`) queues behind them.
 *
 * Cancellation (every wait is a `Parked` node, so it shares the one resume path of src/sync):
 * - cancelled (or its signal aborted) while waiting: it leaves the line, no token moves, and the
 *   line is re-examined at once, so those behind it are served when their tokens are there, not
 *   when the cancelled waiter's would have been;
 * - cancelled after it was handed its tokens but before it resumed: the tokens go back into the
 *   bucket and on to the next waiter. A cancelled acquire never consumes a token.
 */
import { inspect } from "node:util";
import { currentLoop } from "../kernel/context.js";
import type { TimerHandle } from "../kernel/handle.js";
import type { Loop } from "../kernel/loop.js";
import { describe } from "../kernel/validate.js";
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import { Parked, PROCEED, refusal, type ParkKind } from "../sync/parked.js";
import { WaiterQueue } from "../sync/waiterQueue.js";

/** Options of `new RateLimiter()`. */
export interface RateLimiterOptions {
  /** The bucket's size: the most tokens available at once. Default: `max(rate, 1)`. */
  burst?: number | undefined;
}

/** What `RateLimiter.statistics()` returns: a snapshot, for tests, progress and monitoring. */
export interface RateLimiterStatistics {
  /** Tokens in the bucket now (fractional while it refills). */
  tokens: number;
  /** The bucket's size. */
  burst: number;
  /** Tokens added per `per` seconds. */
  rate: number;
  /** The period of `rate`, in seconds. */
  per: number;
  /** Tasks inside `acquire()`: in line, or handed their tokens and not yet resumed. */
  tasksWaiting: number;
  /** Total weight granted so far (by `acquire()` and `tryAcquire()`). */
  granted: number;
}

/**
 * Whether `tokens` cover `w`, with a relative slack of 1e-9: a refill computed for the exact moment
 * a waiter's tokens are there may come out a hair short in floating point; without the slack its
 * timer would fire again and again at the same instant.
 */
function covers(tokens: number, w: number): boolean {
  return tokens >= w - 1e-9 * Math.max(1, w);
}

function consumeAcquire(node: Parked<number>): void {
  (node.host as RateLimiter)._consume(node);
}

const ACQUIRE: ParkKind<number> = { op: "RateLimiter.acquire()", consume: consumeAcquire };

/** A waiter of a RateLimiter; `_value` is its weight. */
class RateWait extends Parked<number> {
  /** A waiter that leaves the line (cancel, abort) may unblock those behind it: look again now. */
  override _onFail(): void {
    (this.host as RateLimiter)._serve();
  }
}

function positive(where: string, name: string, value: unknown, allowInfinity: boolean): number {
  const expected = `${where} expects ${name} to be a positive${allowInfinity ? "" : ", finite"} number`;
  if (typeof value !== "number") throw new TypeError(`${expected}: received ${describe(value)}`);
  if (!(value > 0) || (!allowInfinity && !Number.isFinite(value))) throw new RangeError(`${expected}: received ${describe(value)}`);
  return value;
}

export class RateLimiter {
  /** Tokens added per `per` seconds. */
  readonly rate: number;
  /** The period of `rate`, in seconds. */
  readonly per: number;
  /** The bucket's size. */
  readonly burst: number;
  private tokens: number;
  /** When `tokens` was last brought up to date, on `loop`'s clock. */
  private updated = 0;
  private loop: Loop | null = null;
  private readonly waiters = new WaiterQueue<RateWait>();
  /** Waiters handed their tokens that have not resumed yet. */
  private woken = 0;
  private timer: TimerHandle | null = null;
  private granted = 0;
  private readonly onTimer = (): void => {
    this.timer = null;
    this._serve();
  };

  /**
   * @param rate tokens added per `per` seconds (> 0).
   * @param per the period, in seconds (> 0; default 1).
   * @throws TypeError if an argument is not a number; RangeError if `rate`, `per` or `burst` is
   *   not positive and finite.
   */
  constructor(rate: number, per = 1, options: RateLimiterOptions = {}) {
    this.rate = positive("RateLimiter", "rate (tokens per period)", rate, false);
    this.per = positive("RateLimiter", "per (the period in seconds)", per, false);
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`RateLimiter expects an options object, e.g. { burst: 5 }: received ${describe(options)}`);
    }
    this.burst = options.burst === undefined ? Math.max(rate, 1) : positive("RateLimiter", "options.burst (the bucket size)", options.burst, false);
    this.tokens = this.burst;
  }

  /**
   * Takes `weight` tokens, waiting in line (FIFO) until the bucket has them. Cancelling the wait
   * (a task's cancel, a timeout, `options.signal`) leaves the limiter as if it had never been
   * called: no token is consumed and the waiters behind move up at once.
   * @throws RangeError if `weight` is not positive or exceeds `burst` (it could never be granted);
   *   TypeError if it is not a number or `options.signal` is not an AbortSignal.
   */
  acquire(weight = 1, options?: WaitOptions): Promise<void> {
    const w = this.checkWeight("RateLimiter.acquire()", weight);
    const signal = options === undefined ? undefined : checkSignal("RateLimiter.acquire()", options);
    const ctx = currentContext();
    const refused = refusal(ctx, signal);
    if (refused !== PROCEED) return Promise.reject(refused);
    this.bind();
    this.refill();
    if (this.woken === 0 && this.waiters.isEmpty() && covers(this.tokens, w)) {
      this.take(w);
      return Promise.resolve();
    }
    const node = new RateWait(this, ACQUIRE);
    node._value = w;
    const promise = node.park<void>(this.waiters, ctx, signal);
    if (this.waiters.peek() === node) this.schedule();
    return promise;
  }

  /**
   * Takes `weight` tokens if the bucket has them and nobody is waiting; returns whether it did.
   * @throws RangeError / TypeError as `acquire()`.
   */
  tryAcquire(weight = 1): boolean {
    const w = this.checkWeight("RateLimiter.tryAcquire()", weight);
    this.bind();
    this.refill();
    if (this.woken > 0 || !this.waiters.isEmpty() || !covers(this.tokens, w)) return false;
    this.take(w);
    return true;
  }

  /** A snapshot of the bucket and the line. */
  statistics(): RateLimiterStatistics {
    this.refill();
    return {
      tokens: this.tokens,
      burst: this.burst,
      rate: this.rate,
      per: this.per,
      tasksWaiting: this.waiters.size + this.woken,
      granted: this.granted,
    };
  }

  [inspect.custom](): string {
    const s = this.statistics();
    const waiting = s.tasksWaiting > 0 ? ` waiters=${s.tasksWaiting}` : "";
    return `<RateLimiter ${this.rate}/${this.per}s burst=${this.burst} tokens=${Number(s.tokens.toFixed(3))}${waiting}>`;
  }

  /** @internal The settle step of a woken waiter: keeps its tokens, or gives them back if it was cancelled meanwhile. */
  _consume(node: Parked<number>): void {
    this.woken--;
    if (node.settle()) return;
    // Cancelled after the hand-over: as if it had never been granted (the bucket stays capped).
    const w = node._value as number;
    this.granted -= w;
    this.tokens = Math.min(this.burst, this.tokens + w);
    this._serve();
    throw node._error;
  }

  /** @internal Hands tokens to the waiters at the head of the line while there are enough; arms the timer for the next. */
  _serve(): void {
    this.refill();
    for (let node = this.waiters.peek(); node !== null; node = this.waiters.peek()) {
      const w = node._value as number;
      if (!covers(this.tokens, w)) break;
      this.take(w);
      this.woken++;
      node.wake();
    }
    this.schedule();
  }

  private take(w: number): void {
    this.tokens = Math.max(0, this.tokens - w);
    this.granted += w;
  }

  /**
   * Binds the limiter to the caller's loop (public entry points only: the settle step and the
   * timer run outside any task, where the current loop is not the one this limiter runs on).
   * First use, or use from another loop (another `run()`) once nobody waits: that clock starts
   * counting from here.
   */
  private bind(): void {
    const loop = currentLoop();
    if (loop === this.loop || this.waiters.size + this.woken > 0) return;
    this.cancelTimer();
    this.loop = loop;
    this.updated = loop.time();
  }

  /** Brings `tokens` up to date with the clock of the loop the limiter is bound to. */
  private refill(): void {
    const loop = this.loop;
    if (loop === null) return; // not used yet: the bucket is full
    const now = loop.time();
    const elapsed = now - this.updated;
    if (elapsed <= 0) return;
    this.updated = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / this.per);
  }

  /** Arms the timer for when the head waiter's tokens will be there (or disarms it). */
  private schedule(): void {
    const head = this.waiters.peek();
    if (head === null) {
      this.cancelTimer();
      return;
    }
    const loop = this.loop as Loop;
    const missing = (head._value as number) - this.tokens;
    const when = this.updated + (missing * this.per) / this.rate;
    if (this.timer !== null) {
      if (this.timer.when() === when) return;
      this.timer.cancel();
    }
    this.timer = loop._callAt(when, this.onTimer);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private checkWeight(where: string, weight: unknown): number {
    const w = positive(where, "weight", weight, false);
    if (w > this.burst) {
      throw new RangeError(`${where} expects weight to be at most the burst (${this.burst}), or it could never be granted: received ${w}`);
    }
    return w;
  }
}
