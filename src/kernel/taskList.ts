/**
 * The loop's pending tasks, kept as the tree of who started whom (what the task tree prints). The
 * links are fields of the tasks themselves, so registering and finishing a task allocates nothing
 * and costs a few pointer writes (a Set would hash and grow on every spawn).
 *
 * Invariant: a listed task's `_parent` is null or a listed task of the same loop, its nearest
 * pending ancestor. When a task finishes, its pending children take its place under its own
 * parent, so no pending task refers to a finished one: a server whose handlers start tasks does
 * not keep every finished handler (and all it references) alive.
 */
export interface Linked {
  /** @internal The nearest pending ancestor while listed; once finished, the one it had then. */
  _parent: Linked | null;
  /** @internal */
  _firstChild: Linked | null;
  /** @internal The previous sibling; the first sibling's is the last one (O(1) append). Null when not listed. */
  _prevTask: Linked | null;
  /** @internal */
  _nextTask: Linked | null;
  /** @internal */
  readonly _loop: unknown;
}

/** Where a list of siblings starts: a task, or the list itself for the roots. */
interface Holder {
  /** @internal */
  _firstChild: Linked | null;
}

export class TaskList<T extends Linked> implements Iterable<T>, Holder {
  /** @internal The first root. */
  _firstChild: Linked | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Lists `item` as the last child of its `_parent` (which it was created in; null for a root). */
  add(item: T): void {
    if (item._prevTask !== null) return;
    let parent = item._parent;
    if (parent !== null && parent._loop !== item._loop) parent = null; // started by a task of another loop
    // Started from a finished task's context (a late callback of it): hang it where that task's
    // children went.
    while (parent !== null && parent._prevTask === null) parent = parent._parent;
    item._parent = parent;
    const holder: Holder = parent ?? this;
    const first = holder._firstChild;
    if (first === null) {
      holder._firstChild = item;
      item._prevTask = item;
    } else {
      const last = first._prevTask as Linked;
      last._nextTask = item;
      item._prevTask = last;
      first._prevTask = item;
    }
    item._nextTask = null;
    this.count++;
  }

  /** Unlists `item`; its children take its place among its siblings. False if it was not listed. */
  delete(item: T): boolean {
    const prev = item._prevTask;
    if (prev === null) return false;
    const parent = item._parent;
    const holder: Holder = parent ?? this;
    const next = item._nextTask;
    const first = item._firstChild;
    if (first === null) {
      if (holder._firstChild === item) holder._firstChild = next;
      else prev._nextTask = next;
      if (next !== null) next._prevTask = prev;
      else if (holder._firstChild !== null) holder._firstChild._prevTask = prev;
    } else {
      const last = first._prevTask as Linked;
      for (let kid: Linked | null = first; kid !== null; kid = kid._nextTask) kid._parent = parent;
      item._firstChild = null;
      if (holder._firstChild === item) {
        holder._firstChild = first;
        if (next !== null) first._prevTask = prev; // prev is the last sibling
      } else {
        prev._nextTask = first;
        first._prevTask = prev;
      }
      last._nextTask = next;
      if (next !== null) next._prevTask = last;
      else (holder._firstChild as Linked)._prevTask = last;
    }
    item._prevTask = null;
    item._nextTask = null;
    this.count--;
    return true;
  }

  /** The tasks with no pending ancestor, in the order they were listed. */
  roots(): T[] {
    return siblings(this._firstChild) as T[];
  }

  /** The pending tasks whose nearest pending ancestor is `item`, in the order they were listed. */
  children(item: T): T[] {
    return siblings(item._firstChild) as T[];
  }

  /**
   * Every pending task, each before its descendants. Take a snapshot (`[...list]`) before
   * finishing tasks: finishing moves children.
   */
  *[Symbol.iterator](): Iterator<T> {
    let node = this._firstChild;
    while (node !== null) {
      yield node as T;
      if (node._firstChild !== null) {
        node = node._firstChild;
        continue;
      }
      while (node !== null && node._nextTask === null) node = node._parent;
      if (node !== null) node = node._nextTask;
    }
  }
}

function siblings(first: Linked | null): Linked[] {
  const list: Linked[] = [];
  for (let node = first; node !== null; node = node._nextTask) list.push(node);
  return list;
}
