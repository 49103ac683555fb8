/**
 * LifoQueue: a Queue that returns the most recently put item first (asyncio.LifoQueue).
 *
 * @example
 * const q = new LifoQueue<number>();
 * q.putNowait(1);
 * q.putNowait(2);
 * q.getNowait(); // 2
 */
import { Queue } from "./queue.js";
import type { Store } from "./store.js";

class Stack<T> implements Store<T> {
  private items: T[] = [];
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    this.items.push(item);
  }
  pop(): T {
    return this.items.pop() as T;
  }
  clear(): void {
    this.items = [];
  }
  toArray(): T[] {
    return this.items.slice().reverse();
  }
}

export class LifoQueue<T> extends Queue<T> {
  /** @internal */
  protected override _createStore(): Store<T> {
    return new Stack<T>();
  }
}
