import { TimeoutError } from "./errors.js";
import { currentLoop } from "./kernel/context.js";
import type { AwaitableLike } from "./kernel/ensureFuture.js";
import type { Future } from "./kernel/future.js";
import type { TimerHandle } from "./kernel/handle.js";
import type { Loop } from "./kernel/loop.js";
import { checkOptions, checkTimeout } from "./kernel/validate.js";
import { toFutures } from "./wait.js";

/**
 * What `asCompleted()` returns: iterate it with `for` to get promises of the results in completion
 * order, or with `for await` to get the original tasks/futures in completion order.
 */
export interface AsCompleted<T> extends Iterable<Promise<T>>, AsyncIterable<FinishedFuture<T>> {}

/**
 * A finished task or future, as the `for await` form of `asCompleted()` hands it out: at run time
 * the very object that was passed in. Its type leaves out `then` because TypeScript types each
 * value of a `for await` loop as if it had been awaited, so a `Future<T>` would come out typed
 * `T` (TypeScript 7 does so; 6 did only by accident of the iterable's shape).
 *
 * @example
 * for await (const done of asCompleted(tasks)) {
 *   console.log(tasks.indexOf(done as Task<number>), done.result());
 * }
 */
export type FinishedFuture<T> = Omit<Future<T>, "then">;

/** A finished future, boxed: a Future is a thenable, and a promise resolved with one would adopt it. */
interface Completed<T> {
  future: Future<T> | null; // null: the timeout fired
}


/**
 * A promise that claims its place in the completion order only when it is first awaited (or
 * `then` is called), as asyncio's `_wait_for_one` coroutines do: the first promise awaited gets
 * the first result, whatever position the iterator gave it (test_as_completed_reverse_wait).
 */
class ClaimOnAwait<T> extends Promise<T> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  private claim: (() => Promise<T>) | null;
  private readonly settle: [(value: T | PromiseLike<T>) => void, (reason: unknown) => void];

  constructor(claim: () => Promise<T>) {
    let settle: [(value: T | PromiseLike<T>) => void, (reason: unknown) => void] | undefined;
    super((resolve, reject) => {
      settle = [resolve, reject];
    });
    this.settle = settle as [(value: T | PromiseLike<T>) => void, (reason: unknown) => void];
    this.claim = claim;
  }

  override then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const claim = this.claim;
    if (claim !== null) {
      this.claim = null;
      claim().then(this.settle[0], this.settle[1]);
    }
    return super.then(onfulfilled, onrejected);
  }
}

/**
 * The results in completion order, and the timeout. When the consumer breaks out of its iteration
 * (`break` calls the iterator's `return()`) and nothing awaits a result, the timer is cancelled,
 * so it does not keep the process alive for nobody. The deadline still holds: iterating again, or
 * awaiting a promise handed out before, arms it again for what is left (asyncio's iterator can be
 * resumed after a break), and a result that arrives past it counts as timed out.
 */
class CompletionOrder<T> {
  private readonly completed: Array<Completed<T>> = [];
  private readonly getters: Array<Future<Completed<T>>> = [];
  private readonly todo: Set<Future<T>>;
  private todoLeft: number;
  private timer: TimerHandle | null = null;
  private readonly loop: Loop;
  /** The timeout given, for the TimeoutError's message. */
  private timeoutSeconds: number | null = null;
  /** On the loop's clock; Infinity without a timeout. */
  private readonly deadline: number;
  private readonly onCompletion = (f: Future<T>): void => {
    if (this.todo.size === 0) return; // the timeout came first
    if (this.timer === null && this.deadline <= this.loop.time()) {
      this.onTimeout(); // the timer was released at a break: the deadline came first all the same
      return;
    }
    this.todo.delete(f);
    this.push({ future: f });
    if (this.todo.size === 0) this.cancelTimer();
  };
  private readonly timedOut = (): void => this.onTimeout();

  constructor(futures: Set<Future<T>>, timeout: number | null) {
    this.todo = futures;
    this.todoLeft = futures.size;
    for (const f of futures) f.addDoneCallback(this.onCompletion);
    const loop = (this.loop = currentLoop());
    this.deadline = timeout === null ? Infinity : loop.time() + timeout;
    this.timeoutSeconds = timeout;
    if (futures.size > 0 && timeout !== null) this.timer = loop._callAt(this.deadline, this.timedOut);
  }

  /** Claims one of the remaining results; false once all have been handed out. */
  take(): boolean {
    if (this.todoLeft === 0) return false;
    this.todoLeft--;
    return true;
  }

  /** The consumer broke out of its iteration: the timer goes, unless a result is awaited now. */
  pause(): void {
    if (this.getters.length === 0) this.cancelTimer();
  }

  /** The next completed future (boxed), in completion order; TimeoutError once the deadline passed. */
  async next(): Promise<Completed<T>> {
    if (this.timer === null && this.completed.length === 0) this.rearm();
    let item = this.completed.shift();
    if (item === undefined) {
      const getter = this.loop.createFuture<Completed<T>>();
      this.getters.push(getter);
      try {
        item = await getter;
      } catch (error) {
        const i = this.getters.indexOf(getter);
        if (i >= 0) void this.getters.splice(i, 1); // the removed getter was cancelled: nothing to await
        // A cancelled await changes nothing: its claim on a result is given back, and a result
        // already handed to it (the cancel came between that and the task resuming) goes back in
        // front, so a consumer that catches the cancellation and iterates on gets every result.
        this.todoLeft++;
        if (getter.done() && !getter.cancelled()) this.pushFront(getter.result());
        throw error;
      }
    }
    if (item.future === null) {
      throw new TimeoutError(`asCompleted() timed out after ${String(this.timeoutSeconds)} s with ${this.todoLeft + 1} result(s) not yet in`);
    }
    return item;
  }

  /** A result is awaited after a break released the timer: it needs the deadline again. */
  private rearm(): void {
    if (this.timer !== null || this.todo.size === 0 || this.deadline === Infinity) return;
    if (this.deadline <= this.loop.time()) this.onTimeout();
    else this.timer = this.loop._callAt(this.deadline, this.timedOut);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private onTimeout(): void {
    this.timer = null;
    for (const f of this.todo) {
      f.removeDoneCallback(this.onCompletion);
      this.push({ future: null });
    }
    this.todo.clear();
  }

  /** Hands `item` out again, before every result that came after it. */
  private pushFront(item: Completed<T>): void {
    if (this.completed.length === 0) this.push(item);
    else this.completed.unshift(item);
  }

  private push(item: Completed<T>): void {
    // A getter cancelled after being woken cannot be un-woken; skip done ones so nothing is lost.
    let getter = this.getters.shift();
    while (getter !== undefined && getter.done()) getter = this.getters.shift();
    if (getter !== undefined) getter.setResult(item);
    else this.completed.push(item);
  }
}

/**
 * Iterates over awaitables in the order they complete (Python 3.13's `as_completed`).
 *
 * - `for (const p of asCompleted(aws))` yields promises; awaiting the n-th gives the n-th result
 *   to arrive (or throws its error).
 * - `for await (const f of asCompleted(aws))` yields the original tasks/futures as they finish.
 *
 * With `timeout` (seconds), awaiting past the deadline throws `TimeoutError`; nothing is cancelled.
 *
 * @throws TypeError if `aws` is not an iterable of awaitables; RangeError if timeout is NaN.
 * @example
 * for (const next of asCompleted(tasks)) console.log(await next);
 * for await (const done of asCompleted(tasks)) console.log(done.result()); // the original task or future
 */
export function asCompleted<T>(aws: Iterable<AwaitableLike<T>>, options: { timeout?: number | null } = {}): AsCompleted<T> {
  checkOptions("asCompleted()", options);
  const timeout = checkTimeout("asCompleted()", options.timeout);
  const order = new CompletionOrder<T>(toFutures("asCompleted()", aws), timeout);
  const sync: IterableIterator<Promise<T>> = {
    next: (): IteratorResult<Promise<T>> =>
      order.take()
        ? { done: false, value: new ClaimOnAwait(() => order.next().then((c) => (c.future as Future<T>).result())) }
        : { done: true, value: undefined },
    return: (): IteratorResult<Promise<T>> => {
      order.pause();
      return { done: true, value: undefined };
    },
    [Symbol.iterator]() {
      return this;
    },
  };
  const async: AsyncIterableIterator<FinishedFuture<T>> = {
    next: async (): Promise<IteratorResult<FinishedFuture<T>>> =>
      order.take() ? { done: false, value: (await order.next()).future as Future<T> } : { done: true, value: undefined },
    return: (): Promise<IteratorResult<Future<T>>> => {
      order.pause();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return {
    [Symbol.iterator]: () => sync,
    [Symbol.asyncIterator]: () => async,
  };
}
