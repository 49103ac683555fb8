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
  /**
   * Puts back an item that was handed to a getter cancelled before it resumed, so it comes out
   * as it would have if it had never left (it was taken before everything now in the store).
   * Keeps the item even if it throws (a comparator failing: the item may then come out early).
   */
  restore(item: T): void;
  clear(): void;
  /** The items, next out first (for reports). */
  toArray(): T[];
}
