/**
 * PriorityQueue: a Queue that returns the smallest item first (asyncio.PriorityQueue), by
 * `compare` or the default order (numbers, strings, and `[priority, data]` arrays element by
 * element). Items that compare equal come out in the order they were put (FIFO).
 *
 * @example
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, "low"]);
 * q.putNowait([1, "high"]);
 * q.getNowait(); // [1, "high"]
 */
import { describe } from "../kernel/validate.js";
import { BinaryHeap, defaultCompare, type Compare } from "./binaryHeap.js";
import { Queue } from "./queue.js";
import type { Store } from "./store.js";

export class PriorityQueue<T> extends Queue<T> {
  /**
   * @param maxsize the most items it holds; 0 (the default) for no limit.
   * @param compare negative if `a` comes out before `b`, 0 if equal, positive after.
   * @throws RangeError for a bad `maxsize`; TypeError if `compare` is not a function.
   */
  constructor(maxsize = 0, compare?: Compare<T>) {
    super(maxsize);
    if (compare !== undefined) {
      if (typeof compare !== "function") {
        throw new TypeError(`PriorityQueue expects compare to be a function: received ${describe(compare)}`);
      }
      (this._store as BinaryHeap<T>).compare = compare;
    }
  }

  /** @internal */
  protected override _createStore(): Store<T> {
    return new BinaryHeap<T>(defaultCompare);
  }
}
