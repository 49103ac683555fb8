/**
 * `for await (const item of queue)`: gets items until the queue is shut down and drained.
 *
 * Written by hand rather than as an async generator because a generator's `yield` awaits its
 * operand: a queue of tasks would yield each task's result instead of the task (asyncio yields
 * the items themselves). Here an item travels inside the iterator result `{ value, done }`, which
 * no await looks into.
 */
import { QueueShutDown } from "../errors.js";

/** What the iterator needs of its queue. */
interface Source<T> {
  get(): Promise<T>;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });
const DONE_PROMISE = Promise.resolve(DONE);

// Shared reactions, not closures: one fewer allocation per item.
function toResult<T>(value: T): IteratorYieldResult<T> {
  return { value, done: false };
}

function endOnShutdown(error: unknown): IteratorReturnResult<undefined> {
  if (error instanceof QueueShutDown) return DONE;
  throw error;
}

export class QueueIterator<T> implements AsyncIterableIterator<T, undefined, undefined> {
  private ended = false;

  constructor(private readonly source: Source<T>) {}

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.ended) return DONE_PROMISE;
    return this.source.get().then(toResult, endOnShutdown);
  }

  /** Leaving the loop early (`break`, `return`, a throw) ends the iteration; the queue is untouched. */
  return(): Promise<IteratorReturnResult<undefined>> {
    this.ended = true;
    return DONE_PROMISE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
