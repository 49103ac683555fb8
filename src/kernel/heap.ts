/** A binary min-heap of timers ordered by deadline, then by scheduling order (FIFO among equals). */
export interface HeapItem {
  /** @internal */
  deadline: number;
  /** @internal */
  seq: number;
}

export class TimerHeap<T extends HeapItem> {
  items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    let i = items.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(items[r] as T, items[l] as T)) c = r;
      const child = items[c] as T;
      if (!before(child, last)) break;
      items[i] = child;
      i = c;
    }
    items[i] = last;
    return top;
  }

  /** Keeps only the items for which `keep` is true, then restores the heap order. */
  filter(keep: (item: T) => boolean): void {
    const kept = this.items.filter(keep);
    kept.sort((a, b) => (before(a, b) ? -1 : 1));
    this.items = kept; // a sorted array is a valid heap
  }
}

function before(a: HeapItem, b: HeapItem): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}
