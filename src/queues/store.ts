/** Where a queue keeps its items; each queue kind supplies its own order. */
export interface Store<T> {
  readonly size: number;
  /** Adds an item. May throw (a comparator refusing it) without changing the store. */
  push(item: T): void;
  /**
   * Removes and returns the next item out. Only called when `size > 0`. May throw (a comparator
   * failing) without changing the store.
   */
  pop(): T;
  clear(): void;
  /** The items, next out first (for reports). */
  toArray(): T[];
}
