/**
 * FIFO store: a growable ring buffer (power-of-two capacity), O(1) push and pop, with no array
 * shift.
 */
import type { Store } from "./store.js";

export class RingBuffer<T> implements Store<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  private length = 0;
  private mask = 15;

  get size(): number {
    return this.length;
  }

  push(item: T): void {
    if (this.length > this.mask) this.grow();
    this.items[(this.head + this.length) & this.mask] = item;
    this.length++;
  }

  pop(): T {
    const head = this.head;
    const item = this.items[head] as T;
    this.items[head] = undefined;
    this.head = (head + 1) & this.mask;
    this.length--;
    return item;
  }

  clear(): void {
    this.items = new Array<T | undefined>(16);
    this.head = 0;
    this.length = 0;
    this.mask = 15;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.items[(this.head + i) & this.mask] as T);
    return out;
  }

  private grow(): void {
    const old = this.items;
    const capacity = old.length * 2;
    const items = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.length; i++) items[i] = old[(this.head + i) & this.mask];
    this.items = items;
    this.head = 0;
    this.mask = capacity - 1;
  }
}
