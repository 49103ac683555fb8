/**
 * Queue: hands items from producers to consumers, FIFO, optionally bounded (asyncio.Queue, with
 * Python 3.13's `shutdown()`).
 *
 * Fairness: an item put while getters wait is promised to the oldest getter, and a slot freed
 * while putters wait is promised to the oldest putter; neither can be taken by a newer caller,
 * not even by `getNowait()`/`putNowait()` before the woken task resumes. So `qsize()`/`empty()`
 * count the items `getNowait()` can take, and `full()` counts the slots `putNowait()` cannot
 * use (items promised to woken getters and slots promised to woken putters included).
 * A promise is a count, not an item: the promised items stay in the store and a woken getter
 * takes the next item out when it resumes, as asyncio's getter calls `get_nowait()` then. So
 * items put while getters wait come out in the queue's order (a PriorityQueue's smallest, a
 * LifoQueue's newest), not in the order they were put.
 *
 * Cancellation: a `get()` cancelled before an item reached it leaves the queue as it was; one
 * cancelled after it was promised an item but before it resumed passes the promise to the next
 * getter (the item never left the store) and fails with CancelledError, so no item is lost. A
 * cancelled `put()` never inserts its item; one cancelled after it was promised a slot passes the
 * slot to the next putter.
 *
 * Items are opaque, as in asyncio: the library's Futures and Tasks come out of `get()`,
 * `getNowait()` and `for await` as themselves, not as their results. A foreign thenable (a native
 * Promise, another library's thenable) cannot be: JavaScript's `await` adopts it, so
 * `await q.get()` returns its result. Wrap such items (`{ promise }`); `getNowait()` returns any
 * item as it is, and debug mode reports a foreign thenable put into a queue (once per queue).
 * TypeScript types `await q.get()` on a `Queue<Task<T>>` as `T` (`Awaited<Task<T>>`): wrap tasks
 * too (`Queue<{ task: Task<T> }>`) for type-correct code.
 *
 * @example
 * const q = new Queue<Job>(100);
 * createTask(async () => { for await (const job of q) { await handle(job); q.taskDone(); } });
 * await q.put(job);
 * await q.join();      // every item put has been marked done
 * q.shutdown();        // the consumer's loop ends once the queue is drained
 */
import { inspect } from "node:util";
import { QueueEmpty, QueueFull, QueueShutDown } from "../errors.js";
import { resolvedOpaque } from "../kernel/opaque.js";
import { describe } from "../kernel/validate.js";
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import { Event, eventWaitKind } from "../sync/event.js";
import { Parked, PROCEED, refusal, type ParkKind } from "../sync/parked.js";
import { WaiterQueue } from "../sync/waiterQueue.js";
import { QueueIterator } from "./iterator.js";
import { RingBuffer } from "./ringBuffer.js";
import type { Store } from "./store.js";
import { warnForeignThenable } from "./thenables.js";

/** What `Queue.statistics()` returns: a snapshot, for tests and monitoring. */
export interface QueueStatistics {
  /** Items `getNowait()` could take now. */
  qsize: number;
  /** The bound given at construction (0 = unbounded). */
  maxsize: number;
  /** Items put and not yet marked done by `taskDone()`. */
  unfinishedTasks: number;
  /** Tasks in `get()`: queued, or handed an item and not yet resumed. */
  gettersWaiting: number;
  /** Tasks in `put()`: queued, or promised a slot and not yet resumed. */
  puttersWaiting: number;
  /** Tasks in `join()`. */
  joinersWaiting: number;
  /** All of the above waiters. */
  tasksWaiting: number;
  /** Whether `shutdown()` was called. */
  shutdown: boolean;
}

const DONE_PUT = Promise.resolve();

function consumeGet(node: Parked<unknown>): unknown {
  return (node.host as Queue<unknown>)._consumeGet(node);
}

function consumePut(node: Parked<unknown>): undefined {
  (node.host as Queue<unknown>)._consumePut(node);
  return undefined;
}

// Named after the host's class (Queue, PriorityQueue, LifoQueue or a subclass) when reported.
const GET: ParkKind = { op: (host) => `${host.constructor.name}.get()`, consume: consumeGet };
const PUT: ParkKind = { op: (host) => `${host.constructor.name}.put()`, consume: consumePut };

function checkMaxsize(where: string, maxsize: unknown): number {
  if (typeof maxsize !== "number") {
    throw new TypeError(`${where} expects maxsize to be a non-negative integer (0 or Infinity = unbounded): received ${describe(maxsize)}`);
  }
  // A fraction would be rounded up by `full()` (1.5 held 2 items), so it is refused.
  if (!(Number.isInteger(maxsize) || maxsize === Infinity) || maxsize < 0) {
    throw new RangeError(`${where} expects maxsize to be a non-negative integer (0 or Infinity = unbounded): received ${describe(maxsize)}`);
  }
  return maxsize;
}

export class Queue<T> implements AsyncIterable<T> {
  /** @internal */ protected readonly _store: Store<T>;
  private readonly _maxsize: number;
  private readonly getters = new WaiterQueue<Parked<T>>();
  private readonly putters = new WaiterQueue<Parked<T>>();
  /** Items in the store promised to woken getters that have not resumed yet. */
  private handedOff = 0;
  /** Free slots promised to woken putters that have not resumed yet. */
  private reservedSlots = 0;
  private unfinished = 0;
  private readonly finished = new Event();
  /** `join()` waits on `finished`, reported as `<Class>.join()`. */
  private readonly joinKind: ParkKind;
  private isShutdown = false;
  private immediate = false;
  /** Whether debug mode has warned about a foreign thenable put into this queue. */
  private warnedThenable = false;

  /**
   * @param maxsize the most items it holds; 0 (the default) or Infinity for no limit.
   * @throws RangeError if `maxsize` is not a non-negative integer or Infinity; TypeError if not a number.
   */
  constructor(maxsize = 0) {
    this._maxsize = checkMaxsize(new.target.name, maxsize);
    this.joinKind = eventWaitKind(`${new.target.name}.join()`);
    this._store = this._createStore();
    this.finished.set();
  }

  /** The bound given at construction (0 = unbounded). */
  get maxsize(): number {
    return this._maxsize;
  }

  /** Number of items `getNowait()` can take now. */
  qsize(): number {
    return this._store.size - this.handedOff;
  }

  /** Whether `getNowait()` would throw. */
  empty(): boolean {
    return this._store.size === this.handedOff;
  }

  /** Whether the queue has no slot for a new item (`putNowait()` would throw QueueFull). */
  full(): boolean {
    // The store holds the items promised to woken getters too.
    return this._maxsize > 0 && this._store.size + this.reservedSlots >= this._maxsize;
  }

  /**
   * Puts `item` in, waiting for a free slot if the queue is full (FIFO among putters).
   * @throws QueueShutDown if the queue is (or gets) shut down; TypeError for a bad `options.signal`.
   */
  put(item: T, options?: WaitOptions): Promise<void> {
    const signal = options === undefined ? undefined : checkSignal(`${this.constructor.name}.put()`, options);
    const task = currentContext();
    const refused = refusal(task, signal);
    if (refused !== PROCEED) return Promise.reject(refused);
    if (this.isShutdown) return Promise.reject(this.shutDownError("put()"));
    if (!this.warnedThenable && ((typeof item === "object" && item !== null) || typeof item === "function")) {
      this.warnedThenable = warnForeignThenable(this, `${this.constructor.name}.put()`, item);
    }
    if (!this.full()) {
      try {
        this.insert(item);
      } catch (error) {
        return Promise.reject(error);
      }
      return DONE_PUT;
    }
    const node = new Parked<T>(this, PUT);
    node._value = item;
    return node.park<undefined>(this.putters, task, signal);
  }

  /**
   * Puts `item` in without waiting.
   * @throws QueueFull if there is no free slot; QueueShutDown if the queue is shut down.
   */
  putNowait(item: T): void {
    if (this.isShutdown) throw this.shutDownError("putNowait()");
    if (this.full()) {
      throw new QueueFull(`${this.constructor.name}.putNowait(): the queue is full (maxsize ${this._maxsize})`);
    }
    if (!this.warnedThenable && ((typeof item === "object" && item !== null) || typeof item === "function")) {
      this.warnedThenable = warnForeignThenable(this, `${this.constructor.name}.putNowait()`, item);
    }
    this.insert(item);
  }

  /**
   * Removes and returns the next item, waiting for one if the queue is empty (FIFO among getters).
   * A Future or Task item is returned as itself (see the class notes for other thenables).
   * @throws QueueShutDown once the queue is shut down and empty (at once after `shutdown(true)`);
   * a PriorityQueue's compare error (the queue unchanged).
   */
  get(options?: WaitOptions): Promise<T> {
    const signal = options === undefined ? undefined : checkSignal(`${this.constructor.name}.get()`, options);
    const task = currentContext();
    const refused = refusal(task, signal);
    if (refused !== PROCEED) return Promise.reject(refused);
    if (this._store.size > this.handedOff) {
      let item: T;
      try {
        item = this._store.pop();
      } catch (error) {
        return Promise.reject(error); // a PriorityQueue's compare threw; the store is unchanged
      }
      if (!this.putters.isEmpty()) this.wakePutters();
      // A Future or Task item comes out as itself, not as its result.
      return resolvedOpaque(item);
    }
    if (this.isShutdown) return Promise.reject(this.shutDownError("get()"));
    return new Parked<T>(this, GET).park<T>(this.getters, task, signal);
  }

  /**
   * Removes and returns the next item without waiting.
   * @throws QueueEmpty if there is none; QueueShutDown if it is empty and shut down.
   */
  getNowait(): T {
    if (this._store.size === this.handedOff) {
      if (this.isShutdown) throw this.shutDownError("getNowait()");
      throw new QueueEmpty(`${this.constructor.name}.getNowait(): the queue is empty`);
    }
    const item = this._store.pop();
    if (!this.putters.isEmpty()) this.wakePutters();
    return item;
  }

  /**
   * Marks one item taken by a consumer as processed; `join()` resolves when every item put has
   * been marked.
   * @throws RangeError if called more times than items were put.
   */
  taskDone(): void {
    if (this.unfinished <= 0) {
      throw new RangeError(
        `${this.constructor.name}.taskDone() called more times than items were put (unfinished tasks: ${this.unfinished})`,
      );
    }
    if (--this.unfinished === 0) this.finished.set();
  }

  /** Resolves once every item put has been marked done by `taskDone()` (at once if none is pending). */
  join(options?: WaitOptions): Promise<void> {
    // Reported as waiting on this queue, not on its internal Event.
    return this.finished._wait(this.joinKind, options, this) as Promise<undefined>;
  }

  /**
   * Shuts the queue down (Python 3.13): `put()` and `putNowait()` throw QueueShutDown from now
   * on; `get()` returns the items left, then throws QueueShutDown; every blocked putter (and
   * getter, the queue being empty) is woken with QueueShutDown.
   * With `immediate`, the items left are dropped (each counts as done for `join()`) and
   * `get()` throws at once.
   * @throws TypeError if `immediate` is not a boolean.
   */
  shutdown(immediate = false): void {
    if (typeof immediate !== "boolean") {
      throw new TypeError(`${this.constructor.name}.shutdown() expects immediate to be a boolean: received ${describe(immediate)}`);
    }
    this.isShutdown = true;
    if (immediate) {
      this.immediate = true;
      // The items promised to woken getters go too: those getters throw when they resume.
      const dropped = this._store.size;
      this._store.clear();
      this.handedOff = 0;
      this.unfinished = Math.max(0, this.unfinished - dropped);
      if (this.unfinished === 0) this.finished.set();
    }
    for (let node = this.getters.peek(); node !== null; node = this.getters.peek()) node.fail(this.shutDownError("get()"));
    for (let node = this.putters.peek(); node !== null; node = this.putters.peek()) node.fail(this.shutDownError("put()"));
  }

  /**
   * `for await (const item of queue)`: gets items until the queue is shut down and drained. Items
   * come out as they were put (a Task as the task), as from `get()`.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T, undefined, undefined> {
    return new QueueIterator<T>(this);
  }

  /**
   * A snapshot of the items and the waiters, for tests and monitoring. Items handed to woken
   * getters (and slots promised to woken putters) are not in `qsize`; those tasks are still
   * counted as waiting until they resume.
   *
   * @example
   * const q = new Queue<number>(10);
   * q.putNowait(1);
   * console.log(q.statistics().qsize, q.statistics().unfinishedTasks); // 1 1
   */
  statistics(): QueueStatistics {
    const getters = this.getters.size + this.handedOff;
    const putters = this.putters.size + this.reservedSlots;
    const joiners = this.finished.statistics().tasksWaiting;
    return {
      qsize: this.qsize(),
      maxsize: this._maxsize,
      unfinishedTasks: this.unfinished,
      gettersWaiting: getters,
      puttersWaiting: putters,
      joinersWaiting: joiners,
      tasksWaiting: getters + putters + joiners,
      shutdown: this.isShutdown,
    };
  }

  [inspect.custom](): string {
    const s = this.statistics();
    let out = `<${this.constructor.name} maxsize=${this._maxsize}`;
    if (s.qsize > 0) out += ` qsize=${s.qsize}`;
    if (s.gettersWaiting > 0) out += ` getters=${s.gettersWaiting}`;
    if (s.puttersWaiting > 0) out += ` putters=${s.puttersWaiting}`;
    if (s.unfinishedTasks > 0) out += ` unfinished=${s.unfinishedTasks}`;
    if (s.shutdown) out += " shutdown";
    return `${out}>`;
  }

  /** @internal Subclasses choose the order of items. */
  protected _createStore(): Store<T> {
    return new RingBuffer<T>();
  }

  /** @internal The consume step of a parked get (see Parked). */
  _consumeGet(node: Parked<T>): T {
    const granted = node.settle();
    if (this.immediate) {
      // shutdown(true) already dropped the promised item, counted it done and cleared the promises.
      throw granted ? this.shutDownError("get()") : node._error;
    }
    this.handedOff--;
    if (!granted) {
      // Cancelled after an item was promised to it: the item never left the store; the promise
      // goes to the next getter.
      const next = this.getters.peek();
      if (next !== null) {
        this.handedOff++;
        next.wake();
      }
      throw node._error;
    }
    // The next item out now (not necessarily the one whose put woke this getter), as asyncio's
    // woken getter takes it with get_nowait(). A PriorityQueue's compare may throw: the store is
    // unchanged and this get fails with that error.
    const item = this._store.pop();
    if (!this.putters.isEmpty()) this.wakePutters();
    return item;
  }

  /** @internal The consume step of a parked put. */
  _consumePut(node: Parked<T>): void {
    this.reservedSlots--;
    if (!node.settle()) {
      this.wakePutters(); // the slot goes to the next putter
      throw node._error;
    }
    if (this.isShutdown) throw this.shutDownError("put()");
    try {
      this.insert(node._value as T);
    } catch (error) {
      // A PriorityQueue's compare refused the item: the put fails and its slot goes on.
      this.wakePutters();
      throw error;
    }
  }

  private insert(item: T): void {
    this._store.push(item); // may throw (a PriorityQueue's compare): nothing changed
    const getter = this.getters.peek();
    if (getter !== null) {
      this.handedOff++;
      getter.wake();
    }
    if (this.unfinished++ === 0) this.finished.clear();
  }

  private wakePutters(): void {
    for (let node = this.putters.peek(); node !== null && !this.full(); node = this.putters.peek()) {
      this.reservedSlots++;
      node.wake();
    }
  }

  private shutDownError(op: string): QueueShutDown {
    return new QueueShutDown(`${this.constructor.name}.${op}: the queue is shut down${op.startsWith("get") ? " and empty" : ""}`);
  }
}
