/**
 * The loop's pending tasks: an intrusive doubly linked list through fields of the tasks themselves,
 * so registering and finishing a task costs two pointer writes and no allocation (a Set would
 * hash and grow on every spawn). Iteration order is creation order.
 */
export interface Linked {
  /** @internal */
  _prevTask: Linked | null;
  /** @internal */
  _nextTask: Linked | null;
  /** @internal */
  _listed: boolean;
}

export class TaskList<T extends Linked> implements Iterable<T> {
  private head: T | null = null;
  private tail: T | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: T): void {
    if (item._listed) return;
    item._listed = true;
    item._prevTask = this.tail;
    item._nextTask = null;
    if (this.tail === null) this.head = item;
    else this.tail._nextTask = item;
    this.tail = item;
    this.count++;
  }

  delete(item: T): boolean {
    if (!item._listed) return false;
    item._listed = false;
    const prev = item._prevTask as T | null;
    const next = item._nextTask as T | null;
    if (prev === null) this.head = next;
    else prev._nextTask = next;
    if (next === null) this.tail = prev;
    else next._prevTask = prev;
    item._prevTask = null;
    item._nextTask = null;
    this.count--;
    return true;
  }

  *[Symbol.iterator](): Iterator<T> {
    // Read the successor first: the current item may be deleted while the caller handles it.
    let item = this.head;
    while (item !== null) {
      const next = item._nextTask as T | null;
      yield item;
      item = next;
    }
  }
}
