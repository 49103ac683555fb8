/**
 * Priority store: a binary min-heap ordered by `compare`, ties broken by insertion order (a
 * sequence number), so equal items come out FIFO. Items and sequence numbers live in two
 * parallel arrays (no wrapper object per item).
 */
import { describe } from "../kernel/validate.js";
import type { Store } from "./store.js";

export type Compare<T> = (a: T, b: T) => number;

function scalar(a: unknown, b: unknown): number | null {
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint")) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  if (ta === "string" && tb === "string") return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  if (ta === "boolean" && tb === "boolean") return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return null;
}

function tupleCompare(a: readonly unknown[], b: readonly unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    const c = Array.isArray(x) && Array.isArray(y) ? tupleCompare(x, y) : scalar(x, y);
    // Elements that cannot be ordered (say, the payload of [priority, job]) count as equal, so
    // equal priorities fall back to FIFO instead of failing.
    if (c === null) return 0;
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * The default order: numbers, bigints, strings, booleans and Dates naturally; arrays (Python's
 * `(priority, data)` tuples) element by element.
 * @throws TypeError for values it cannot order (pass a compare function for those).
 */
export function defaultCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) return tupleCompare(a, b);
  const c = scalar(a, b);
  if (c === null) {
    throw new TypeError(
      `PriorityQueue cannot order ${describe(a)} and ${describe(b)} by default: pass a compare function, e.g. new PriorityQueue(0, (a, b) => a.priority - b.priority)`,
    );
  }
  return c;
}

export class BinaryHeap<T> implements Store<T> {
  private items: T[] = [];
  private seqs: number[] = [];
  private nextSeq = 0;

  constructor(public compare: Compare<T>) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.insert(item, this.nextSeq++);
  }

  pop(): T {
    const items = this.items;
    const seqs = this.seqs;
    const top = items[0] as T;
    // The last item sifts down from the root. Its slot is found first, comparing only (as in
    // insert): if `compare` throws, nothing has moved and no item is lost.
    const n = items.length - 1;
    const lastItem = items[n] as T;
    const lastSeq = seqs[n] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.before(items[r] as T, seqs[r] as number, items[l] as T, seqs[l] as number)) c = r;
      if (!this.before(items[c] as T, seqs[c] as number, lastItem, lastSeq)) break;
      i = c;
    }
    items.pop();
    seqs.pop();
    if (n > 0) {
      // Move each item on the root-to-slot path one level up; the path is the slot's ancestors:
      // in 1-based numbering, the ancestor `d` levels up from node k is k >> d.
      const k = i + 1;
      for (let d = 31 - Math.clz32(k); d > 0; d--) {
        const to = (k >> d) - 1;
        const from = (k >> (d - 1)) - 1;
        items[to] = items[from] as T;
        seqs[to] = seqs[from] as number;
      }
      items[i] = lastItem;
      seqs[i] = lastSeq;
    }
    return top;
  }

  clear(): void {
    this.items = [];
    this.seqs = [];
  }

  toArray(): T[] {
    const order = this.items.map((item, i) => ({ item, seq: this.seqs[i] as number }));
    order.sort((a, b) => this.compare(a.item, b.item) || a.seq - b.seq);
    return order.map((e) => e.item);
  }

  private insert(item: T, seq: number): void {
    const items = this.items;
    const seqs = this.seqs;
    // Find the slot first, moving nothing: if `compare` throws, the heap is unchanged.
    let i = items.length;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(item, seq, items[p] as T, seqs[p] as number)) break;
      i = p;
    }
    let j = items.length;
    items.push(item);
    seqs.push(seq);
    while (j > i) {
      const p = (j - 1) >> 1;
      items[j] = items[p] as T;
      seqs[j] = seqs[p] as number;
      j = p;
    }
    items[i] = item;
    seqs[i] = seq;
  }

  private before(a: T, sa: number, b: T, sb: number): boolean {
    const c = this.compare(a, b);
    if (typeof c !== "number" || Number.isNaN(c)) {
      throw new TypeError(`PriorityQueue compare function must return a number: received ${describe(c)}`);
    }
    return c < 0 || (c === 0 && sa < sb);
  }
}
