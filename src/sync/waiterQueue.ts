/**
 * The one fair wait queue under every primitive (Trio's ParkingLot): an intrusive doubly linked
 * list, so enqueue, dequeue and removal of an arbitrary waiter (on cancel or abort) are all O(1)
 * and a wake-up never shifts an array.
 *
 * Invariant: a node is in at most one queue at a time, and `node.list` names it (null when the
 * node is not queued). Removing a node that is not queued is a no-op, so a cancel racing a
 * wake-up cannot unlink someone else.
 */

/**
 * The links a queued waiter carries; primitives extend it (see `Parked`).
 *
 * Its fields, and Parked's, are assigned in the constructor rather than given initializers. A
 * class's field initializer is one function for the class and its subclasses; on Node 20's V8, once
 * it has seen six object shapes (Parked and its five subclasses: a program that slept, awaited a
 * future, read a stream, used a RateLimiter and opened a connection) every construction took a
 * slow runtime path, about 1.3 µs a wait node instead of 20–60 ns (bench/probes/megamorphic-init.ts).
 */
export class QueueNode {
  /** @internal */ declare _prev: QueueNode | null;
  /** @internal */ declare _next: QueueNode | null;
  /** @internal The queue this node is in, or null. */
  declare _list: WaiterQueue<QueueNode> | null;

  constructor() {
    this._prev = null;
    this._next = null;
    this._list = null;
  }
}

/** FIFO queue of waiters with O(1) `push`, `shift` and `remove`. */
export class WaiterQueue<N extends QueueNode> {
  private head: N | null = null;
  private tail: N | null = null;
  private count = 0;

  /** Number of queued waiters. */
  get size(): number {
    return this.count;
  }

  isEmpty(): boolean {
    return this.count === 0;
  }

  /** The oldest waiter, without removing it. */
  peek(): N | null {
    return this.head;
  }

  /** Appends `node` at the back. @throws Error if the node is already queued. */
  push(node: N): void {
    if (node._list !== null) throw new Error("WaiterQueue.push(): the node is already queued");
    node._list = this;
    node._prev = this.tail;
    node._next = null;
    if (this.tail === null) this.head = node;
    else this.tail._next = node;
    this.tail = node;
    this.count++;
  }

  /** Removes and returns the oldest waiter, or null if there is none. */
  shift(): N | null {
    const node = this.head;
    if (node === null) return null;
    this.unlink(node);
    return node;
  }

  /** Removes `node` if it is in this queue; returns whether it was. */
  remove(node: N): boolean {
    if (node._list !== (this as unknown as WaiterQueue<QueueNode>)) return false;
    this.unlink(node);
    return true;
  }

  /** Removes every waiter and returns them oldest first. */
  drain(): N[] {
    const out: N[] = [];
    for (let node = this.shift(); node !== null; node = this.shift()) out.push(node);
    return out;
  }

  *[Symbol.iterator](): IterableIterator<N> {
    for (let node = this.head; node !== null; node = node._next as N | null) yield node;
  }

  private unlink(node: N): void {
    const prev = node._prev as N | null;
    const next = node._next as N | null;
    if (prev === null) this.head = next;
    else prev._next = next;
    if (next === null) this.tail = prev;
    else next._prev = prev;
    node._prev = null;
    node._next = null;
    node._list = null;
    this.count--;
  }
}
