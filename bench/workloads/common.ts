/** Small helpers shared by the workloads: the floors' yield and a hand-written FIFO of resolvers. */
import { AsyncLocalStorage } from "node:async_hooks";

/** One turn of the event loop, the way hand-written code yields: a promise settled from setImmediate. */
export function yieldImmediate(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** A FIFO with O(1) push and shift (a head index into an array, compacted when half is consumed). */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/** The floors' semaphore: a counter and a FIFO of resolvers; release hands the permit on directly. */
export class FloorSemaphore {
  private readonly waiters = new Fifo<() => void>();
  constructor(private value: number) {}

  acquire(): Promise<void> {
    if (this.value > 0 && this.waiters.length === 0) {
      this.value--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.value++;
  }
}

/**
 * A floor run inside `AsyncLocalStorage.run`, as asyncio-ts runs task code: on Node 20 that
 * turns on async_hooks promise hooks for every promise in the process (Node 24 uses
 * AsyncContextFrame and pays nothing), so this row shows what the context costs by itself.
 */
export function insideAls(run: (n: number) => Promise<void>): { run: (n: number) => Promise<void> } {
  const als = new AsyncLocalStorage<object>();
  return { run: (n: number) => als.run({}, run, n) };
}

/** A full GC (bench/child.ts exposes `gc`; a no-op elsewhere). */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
