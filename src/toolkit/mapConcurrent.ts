/**
 * `mapConcurrent(source, fn, { concurrency })`: a bounded concurrent map that streams its results
 * (p-map's `pMapIterable`, Trio's nursery + memory channel idiom), with the task model underneath.
 *
 * Invariants (the tests check each one):
 * - At most `concurrency` calls run at once, and at most `2 × concurrency` items are pulled from
 *   the source and not yet handed to the consumer (the running calls plus a buffer of finished
 *   ones): the source is pulled lazily, so an infinite source is fine.
 * - Each `fn(item, index)` runs in a task of its own, so it can be cancelled at any await.
 * - Whatever ends the iteration (the source is exhausted, the consumer leaves the `for await`, a
 *   call fails, the consumer's task is cancelled, `signal` aborts), the iteration does not end
 *   until every call it started has finished: the calls still running are cancelled and awaited,
 *   and the source's iterator is closed (`return()`). Nothing is left running.
 */
import { cancellationOf, CancelledError } from "../errors.js";
import "../kernel/polyfills.js";
import { currentLoop } from "../kernel/context.js";
import type { Future } from "../kernel/future.js";
import type { Loop } from "../kernel/loop.js";
import type { Task } from "../kernel/task.js";
import { checkFunction, describe, isThenable } from "../kernel/validate.js";

/** Options of `mapConcurrent()`. */
export interface MapConcurrentOptions {
  /** How many calls may run at once: an integer ≥ 1, or `Infinity` (then every item is pulled at once: the source must be finite). */
  concurrency: number;
  /** Yield results in the source's order (default) or as the calls complete (`false`). */
  ordered?: boolean | undefined;
  /** Aborting it ends the iteration with `signal.reason`, after cancelling the calls still running. */
  signal?: AbortSignal | undefined;
}

const WHERE = "mapConcurrent()";

type Phase = "idle" | "running" | "closing" | "closed";

/** The async iterator `mapConcurrent()` returns. Single use: `[Symbol.asyncIterator]()` returns itself. */
export class MapConcurrent<T, R> implements AsyncIterableIterator<R>, AsyncDisposable {
  private phase: Phase = "idle";
  private loop: Loop | null = null;
  private syncIter: Iterator<T> | null = null;
  /** A plain array source is indexed directly (what its iterator does, without a result object per item). */
  private array: readonly T[] | null = null;
  private asyncIter: AsyncIterator<T> | null = null;
  private feeder: Task<void> | null = null;
  /** Source exhausted: no more items will be pulled. */
  private exhausted = false;
  /** Items pulled so far (the next call's index). */
  private pulled = 0;
  /** Items handed to the consumer so far (ordered: the index of the next one to hand over). */
  private delivered = 0;
  /** Calls started and not yet handed over, by index (finished ones stay until delivered). */
  private readonly undelivered = new Map<number, Task<R>>();
  /** Calls whose task has not finished. */
  private active = 0;
  /** Completion order of finished calls (unordered mode), as a FIFO of indices. */
  private completed: number[] = [];
  private completedHead = 0;
  private readonly cap: number;
  private failure: { error: unknown } | null = null;
  private consumerWake: Future<void> | null = null;
  private feederWake: Future<void> | null = null;
  private allDone: Future<void> | null = null;
  private closing: Promise<void> | null = null;
  private unlinkSignal: (() => void) | null = null;
  private filling = false;
  /** A `nextSlow()` is running (or was handed the turn): later `next()` calls wait in `line`. */
  private inSlow = false;
  /** `next()` calls made while another was in progress, each waiting for its turn (FIFO). */
  private readonly line: Array<Future<void>> = [];

  /** @internal Use `mapConcurrent()`. */
  constructor(
    private readonly source: Iterable<T> | AsyncIterable<T>,
    private readonly fn: (item: T, index: number) => PromiseLike<R> | R,
    private readonly concurrency: number,
    private readonly ordered: boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    // The buffer of finished-but-not-consumed results is as large as the concurrency: enough to
    // keep every slot busy while the head of an ordered stream is slow, and still bounded.
    this.cap = concurrency * 2;
  }

  /** The iterator itself (single use), so `for await (const r of mapConcurrent(...))` works. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next result; waits (cancellably) for one. */
  next(): Promise<IteratorResult<R, undefined>> {
    // Fast path, no async frame: a result is ready (most calls, once the pipeline runs). Each
    // promise saved counts on Node 20, where every promise pays the async_hooks promise hooks.
    if (!this.inSlow && this.phase === "running" && this.failure === null) {
      const task = this.takeReady();
      if (task !== null) {
        this.refill();
        return Promise.resolve({ done: false, value: task.result() });
      }
    }
    return this.inSlow ? this.nextInLine() : this.nextSlow();
  }

  /**
   * A `next()` called while an earlier one has not settled waits for its turn, as an async
   * generator queues its `next()` calls: with one wake-up slot per consumer, two calls waiting at
   * once would lose a wake-up and hang. The turn is a library Future, so cancelling the caller
   * while it waits in line works like cancelling a waiting consumer: the iteration ends.
   */
  private async nextInLine(): Promise<IteratorResult<R, undefined>> {
    const turn = this.loopOf().createFuture<void>();
    this.line.push(turn);
    try {
      await turn;
    } catch (error) {
      // Not recorded as the iteration's failure: the call running now must not throw this
      // caller's CancelledError; it sees the iteration closed and returns done.
      await this.close();
      throw error;
    }
    return this.nextSlow();
  }

  /** Hands the turn to the next caller in line still waiting, or frees it. */
  private passTurn(): void {
    for (let turn = this.line.shift(); turn !== undefined; turn = this.line.shift()) {
      if (!turn.done()) {
        turn.setResult(); // inSlow stays true: no new next() overtakes the callers in line
        return;
      }
    }
    this.inSlow = false;
  }

  private async nextSlow(): Promise<IteratorResult<R, undefined>> {
    this.inSlow = true;
    try {
      return await this.nextStep();
    } finally {
      this.passTurn();
    }
  }

  private async nextStep(): Promise<IteratorResult<R, undefined>> {
    if (this.phase === "idle") this.start();
    for (;;) {
      if (this.phase !== "running") {
        await this.close();
        return { done: true, value: undefined };
      }
      const failure = this.failure;
      if (failure !== null) {
        await this.close();
        throw failure.error;
      }
      const task = this.takeReady();
      if (task !== null) {
        this.refill();
        return { done: false, value: task.result() };
      }
      if (this.exhausted && this.undelivered.size === 0) {
        await this.close();
        return { done: true, value: undefined };
      }
      const wake = (this.consumerWake = this.loopOf().createFuture<void>());
      try {
        await wake;
      } catch (error) {
        // The consumer was cancelled while it waited: for-await will not call return() after a
        // rejected next(), so stop everything here before letting the cancellation through.
        this.consumerWake = null;
        this.fail(error);
        await this.close();
        throw error;
      }
    }
  }

  /** Ends the iteration early: cancels the calls still running and waits for them to finish. */
  async return(): Promise<IteratorResult<R, undefined>> {
    if (this.phase === "idle") this.phase = "closed";
    await this.close();
    return { done: true, value: undefined };
  }

  /**
   * `await using results = mapConcurrent(...)`: for code that calls `next()` itself, ends the
   * iteration when the block ends, as `return()` does (a `for await` loop needs no such block).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  private start(): void {
    this.phase = "running";
    this.loop = currentLoop();
    const signal = this.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.fail(signal.reason);
        return;
      }
      const onAbort = (): void => this.fail(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      this.unlinkSignal = () => signal.removeEventListener("abort", onAbort);
    }
    const source = this.source;
    try {
      if (isAsyncIterable(source)) {
        this.asyncIter = source[Symbol.asyncIterator]();
        const feeder = (this.feeder = this.loop.createTask(() => this.feed(), { name: "mapConcurrent feeder" }));
        feeder._addListener(() => this.onFeederDone());
      } else {
        const iterate = source[Symbol.iterator];
        if (Array.isArray(source) && iterate === ARRAY_ITERATOR) this.array = source as readonly T[];
        this.syncIter = iterate.call(source);
        this.refill();
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private loopOf(): Loop {
    return this.loop as Loop;
  }

  private hasSpace(): boolean {
    return this.active < this.concurrency && this.undelivered.size < this.cap;
  }

  /** Pulls from a synchronous source while there is room (an async source has its feeder task). */
  private refill(): void {
    const iter = this.syncIter;
    if (iter === null) {
      const wake = this.feederWake;
      if (wake !== null && this.hasSpace()) {
        this.feederWake = null;
        wake.setResult();
      }
      return;
    }
    if (this.filling || this.exhausted || this.failure !== null || this.phase !== "running") return;
    this.filling = true;
    try {
      const array = this.array;
      if (array !== null) {
        // Same reads as the array's iterator: the length each time, then the element.
        while (this.hasSpace()) {
          if (this.pulled >= array.length) {
            this.exhausted = true;
            this.wakeConsumer();
            return;
          }
          this.spawn(array[this.pulled] as T);
        }
        return;
      }
      while (this.hasSpace()) {
        const step = iter.next();
        if (step.done === true) {
          this.exhausted = true;
          this.wakeConsumer();
          return;
        }
        this.spawn(step.value);
      }
    } catch (error) {
      this.exhausted = true; // a source that threw is finished (and must not be closed again)
      this.fail(error);
    } finally {
      this.filling = false;
    }
  }

  /** The feeder task of an async source: pulls while there is room, waiting (cancellably) when there is none. */
  private async feed(): Promise<void> {
    const iter = this.asyncIter as AsyncIterator<T>;
    try {
      for (;;) {
        while (!this.hasSpace()) {
          const wake = (this.feederWake = this.loopOf().createFuture<void>());
          await wake;
        }
        const step = await iter.next();
        if (this.phase !== "running" || this.failure !== null) {
          // Stopped while the source was producing: the item is not processed.
          return;
        }
        if (step.done === true) {
          this.exhausted = true;
          this.wakeConsumer();
          return;
        }
        this.spawn(step.value);
      }
    } catch (error) {
      this.feederWake = null;
      if (cancellationOf(error) !== null && (this.phase !== "running" || this.failure !== null)) return; // stopped by us
      this.exhausted = true;
      this.fail(error);
    }
  }

  private spawn(item: T): void {
    const index = this.pulled++;
    const fn = this.fn;
    const task = this.loopOf().createTask(() => fn(item, index));
    this.undelivered.set(index, task);
    this.active++;
    task._addListener(() => this.onDone(index, task));
  }

  /** A call finished (a library-internal listener: runs synchronously at its completion). */
  private onDone(index: number, task: Task<R>): void {
    this.active--;
    // result() also marks a failure as retrieved: while closing, outcomes are only collected, and
    // a failure after the first is not reported as lost (as gather retrieves every child's).
    let failed = false;
    let error: unknown;
    try {
      task.result();
    } catch (e) {
      failed = true;
      error = e;
    }
    if (failed) {
      // A failure (or a cancellation from outside) ends the iteration.
      if (this.phase === "running") this.fail(error);
    } else if (!this.ordered) {
      this.completed.push(index);
    }
    if (this.phase === "running") {
      this.wakeConsumer();
      this.refill();
    } else {
      this.checkAllDone();
    }
  }

  private onFeederDone(): void {
    this.feeder = null;
    this.checkAllDone();
    this.wakeConsumer();
  }

  /** The next result to hand over, if it is ready. */
  private takeReady(): Task<R> | null {
    if (this.ordered) {
      const task = this.undelivered.get(this.delivered);
      if (task === undefined || !task.done()) return null;
      this.undelivered.delete(this.delivered++);
      return task;
    }
    if (this.completedHead >= this.completed.length) return null;
    const index = this.completed[this.completedHead++] as number;
    if (this.completedHead > 1024 && this.completedHead * 2 > this.completed.length) {
      this.completed = this.completed.slice(this.completedHead);
      this.completedHead = 0;
    }
    const task = this.undelivered.get(index) as Task<R>;
    this.undelivered.delete(index);
    this.delivered++;
    return task;
  }

  private wakeConsumer(): void {
    const wake = this.consumerWake;
    if (wake === null) return;
    this.consumerWake = null;
    if (!wake.done()) wake.setResult();
  }

  /** Records the first failure; the consumer rethrows it after stopping everything. */
  private fail(error: unknown): void {
    if (this.failure !== null || this.phase !== "running") return;
    this.failure = { error };
    this.stop();
    this.wakeConsumer();
  }

  /** Cancels the feeder and every call still running (they are awaited by `close()`). */
  private stop(): void {
    this.unlinkSignal?.();
    this.unlinkSignal = null;
    this.feeder?.cancel();
    for (const task of this.undelivered.values()) if (!task.done()) task.cancel();
  }

  private checkAllDone(): void {
    if (this.active > 0 || this.feeder !== null) return;
    const done = this.allDone;
    if (done !== null && !done.done()) done.setResult();
  }

  /** Stops everything and waits until it has stopped; shared by every path that ends the iteration. */
  private close(): Promise<void> {
    return (this.closing ??= this.shutDown());
  }

  private async shutDown(): Promise<void> {
    if (this.phase === "idle") this.phase = "closed";
    const wasRunning = this.phase === "running";
    if (wasRunning) this.phase = "closing";
    this.stop();
    this.wakeConsumer();
    // Wait for every call and the feeder to finish. A cancellation of the consumer meanwhile is
    // remembered and rethrown at the end: cancelling never orphans work (as a TaskGroup's exit).
    let cancelled: CancelledError | null = null;
    while (this.active > 0 || this.feeder !== null) {
      const done = (this.allDone = this.loopOf().createFuture<void>());
      try {
        await done;
      } catch (error) {
        if (!(error instanceof CancelledError)) throw error;
        cancelled ??= error;
      }
    }
    this.allDone = null;
    this.undelivered.clear();
    this.completed = [];
    try {
      await this.closeSource();
    } finally {
      this.phase = "closed";
    }
    if (cancelled !== null) throw cancelled;
  }

  /** Closes the source's iterator if it was not exhausted (a generator's `finally` blocks run). */
  private async closeSource(): Promise<void> {
    if (this.exhausted) return;
    this.exhausted = true;
    const iter = this.syncIter ?? this.asyncIter;
    if (iter === null || typeof iter.return !== "function") return;
    const result = iter.return();
    if (isThenable(result)) await result;
  }
}

const ARRAY_ITERATOR = Array.prototype[Symbol.iterator];

function isAsyncIterable<T>(source: Iterable<T> | AsyncIterable<T>): source is AsyncIterable<T> {
  return typeof (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] === "function";
}

function checkConcurrency(value: unknown): number {
  const expected = `${WHERE} expects options.concurrency to be an integer ≥ 1 or Infinity`;
  if (typeof value !== "number") throw new TypeError(`${expected}: received ${describe(value)}`);
  if (!(value === Infinity || (Number.isInteger(value) && value >= 1))) throw new RangeError(`${expected}: received ${describe(value)}`);
  return value;
}

function checkSource(source: unknown): void {
  if (source !== null && source !== undefined) {
    const s = source as Partial<Record<symbol, unknown>>;
    if (typeof s[Symbol.asyncIterator] === "function" || typeof s[Symbol.iterator] === "function") return;
  }
  const fix = isThenable(source) ? " (await the promise first, or pass an async iterable)" : "";
  throw new TypeError(`${WHERE} expects an iterable or async iterable source: received ${describe(source)}${fix}`);
}

/**
 * Maps `fn` over `source` with at most `options.concurrency` calls at once, each in a task of its
 * own, and returns an async iterable of the results: in the source's order (`ordered`, the
 * default), or as they complete (`ordered: false`).
 *
 * The source (an iterable or async iterable) is pulled lazily, never more than
 * `2 × concurrency` items ahead of the consumer, so it may be infinite. Leaving the `for await`
 * early (`break`, `return`, an exception) cancels the calls still running and waits for them;
 * the first call that fails cancels the rest and its error is thrown by the iteration; cancelling
 * the consuming task, or aborting `options.signal`, does the same. When the iteration ends,
 * nothing it started is still running, and the source's iterator has been closed.
 *
 * A call cancelled from outside (another task calling `cancel()` on it) counts as a failure: its
 * `CancelledError` ends the iteration, as `gather` does. The iterator is single-use; call `next()`
 * from one consumer at a time.
 *
 * @throws TypeError if `source` is not iterable, `fn` is not a function, or an option has the
 *   wrong type; RangeError if `concurrency` is not an integer ≥ 1 (or Infinity).
 * @example
 * for await (const page of mapConcurrent(urls, (url) => fetchPage(url), { concurrency: 5 })) {
 *   console.log(page.title);
 * }
 */
export function mapConcurrent<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number) => PromiseLike<R> | R,
  options: MapConcurrentOptions,
): MapConcurrent<T, Awaited<R>> {
  checkSource(source);
  checkFunction(WHERE, fn, "Pass the function to call for each item: mapConcurrent(items, (item) => work(item), { concurrency: 5 }).");
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${WHERE} expects an options object with concurrency, e.g. { concurrency: 5 }: received ${describe(options)}`);
  }
  const concurrency = checkConcurrency(options.concurrency);
  const ordered = options.ordered ?? true;
  if (typeof ordered !== "boolean") throw new TypeError(`${WHERE} expects options.ordered to be a boolean: received ${describe(ordered)}`);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${WHERE} expects options.signal to be an AbortSignal: received ${describe(signal)}`);
  }
  return new MapConcurrent<T, Awaited<R>>(source, fn as (item: T, index: number) => PromiseLike<Awaited<R>>, concurrency, ordered, signal);
}
