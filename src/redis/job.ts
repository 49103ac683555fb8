/** One delivery of a RedisQueue item to a consumer. */
import type { Task } from "../index.js";

/**
 * An item taken from a RedisQueue by `get()`: acknowledge it with `queue.taskDone(job)` once it
 * has been handled, or hand it back with `queue.retry(job)`. Until then its lease is renewed while
 * the task that took it runs; if that task ends, or the process dies, without either call, the
 * job is delivered again once its lease runs out.
 */
export class Job<T> {
  /** The item, decoded. */
  readonly item: T;
  /** The stream entry id (`1700000000000-0`); a retried job gets a new one. */
  readonly id: string;
  /** How many times this item has been delivered, this delivery included (1 the first time). */
  readonly deliveries: number;
  /** @internal The task that took it (its lease is renewed while this task runs), or null. */
  _owner: Task<unknown> | null = null;

  /** @internal Made by RedisQueue. */
  constructor(item: T, id: string, deliveries: number) {
    this.item = item;
    this.id = id;
    this.deliveries = deliveries;
  }

  get [Symbol.toStringTag](): string {
    return "Job";
  }
}
