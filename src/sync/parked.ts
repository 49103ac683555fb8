/**
 * A task parked in a primitive's `WaiterQueue`: the waiter the task registers (so `task.cancel()`
 * reaches it), the native promise it awaits, and the state machine that makes cancellation exact.
 *
 *   WAITING --wake()--> WOKEN --consume--> DONE      (the grant is the task's)
 *      |                  |
 *      |cancel/abort      |cancel/abort before the consume step ran
 *      v                  v
 *    DONE (rejected)     LATE --consume--> DONE      (the primitive passes the grant on; throws)
 *
 * A waker hands its grant (lock, permit, item, slot, notification) to a WOKEN node at once, so a
 * new caller can never barge past it. The task takes the grant in the node's consume step, which
 * runs one microtask later: woken nodes wait in one module-wide list that a single microtask
 * settles, so a burst of wake-ups costs one microtask, not a promise and a reaction per waiter.
 * If the task was cancelled in between (CPython's "cancelled after being woken" race, e.g.
 * `lock.release(); task.cancel()`), consume gives the grant to the next waiter and the call fails
 * with the CancelledError: either it happened, or you got cancelled and nothing changed.
 */
import { inspect } from "node:util";
import { CancelledError } from "../errors.js";
import type { Task } from "../kernel/task.js";
import { resolveOpaque } from "../kernel/opaque.js";
import { linkSignal, takePendingCancel, unlistWait, type TrackedWait } from "../kernel/waiting.js";
import { QueueNode, type WaiterQueue } from "./waiterQueue.js";

export const WAITING = 0;
export const WOKEN = 1;
export const LATE = 2;
export const DONE = 3;
export type ParkedState = typeof WAITING | typeof WOKEN | typeof LATE | typeof DONE;

/** Returned by `refusal()` when the call may proceed. */
export const PROCEED: unique symbol = Symbol("proceed");

/**
 * Why a blocking call must fail at the door, before touching the primitive: a cancellation the
 * task could not receive yet (delivered at its next library await), or an already aborted signal.
 */
export function refusal(task: Task<unknown> | undefined, signal: AbortSignal | undefined): unknown {
  const pending = takePendingCancel(task);
  if (pending !== null) return pending;
  if (signal !== undefined && signal.aborted) return signal.reason;
  return PROCEED;
}

let nextResolve: ((value: unknown) => void) | null = null;
let nextReject: ((reason: unknown) => void) | null = null;
function capture(resolve: (value: never) => void, reject: (reason: unknown) => void): void {
  nextResolve = resolve as (value: unknown) => void;
  nextReject = reject;
}

/**
 * What a woken node's task receives, computed when the settle microtask runs: the primitive
 * takes its grant (or passes it on and throws the late cancellation). Shared module functions,
 * never closures. Without one, the promise resolves with the node itself and the awaiting code
 * settles it (Condition, Barrier).
 */
export type Consume<V> = (node: Parked<V>) => unknown;

/**
 * What one kind of parked wait is, shared by all its nodes (one field per node, not three): its
 * name in reports and the task tree, its consume step, and whether it is shielded.
 */
export interface ParkKind<V = unknown> {
  /** The operation, e.g. "Lock.acquire()"; a function of the host for names that depend on its class. */
  readonly op: string | ((host: object) => string);
  /** The consume step run when a woken node is settled; null: the promise resolves with the node. */
  readonly consume: Consume<V> | null;
  /**
   * A shielded wait (Condition re-acquiring its lock) is never abandoned: a cancel is recorded in
   * `_error` and delivered by the primitive once the wait completes.
   */
  readonly shielded?: boolean;
}

/** The operation a kind of wait names, for `host`. */
export function kindName(kind: ParkKind<never>, host: object): string {
  const op = kind.op;
  return typeof op === "string" ? op : op(host);
}

// Woken nodes waiting for the settle microtask, linked through `_next` (free once unqueued).
let settleHead: Parked<unknown> | null = null;
let settleTail: Parked<unknown> | null = null;
let settleScheduled = false;
const RESOLVED = Promise.resolve();

function settleWoken(): void {
  // Consume steps may wake further nodes (a semaphore's free permits, a queue's putters); they
  // join the list and are settled in this same pass.
  for (let node = settleHead; node !== null; node = settleHead) {
    settleHead = node._next as Parked<unknown> | null;
    if (settleHead === null) settleTail = null;
    node._next = null;
    let result: unknown = node;
    const consume = node._kind.consume as ((node: Parked<unknown>) => unknown) | null;
    if (consume !== null) {
      try {
        result = consume(node);
      } catch (error) {
        node._reject(error);
        continue;
      }
    }
    resolveOpaque(node._resolve, result);
  }
  settleScheduled = false;
}

function queueForSettling(node: Parked<unknown>): void {
  if (settleTail === null) settleHead = node;
  else settleTail._next = node;
  settleTail = node;
  if (!settleScheduled) {
    settleScheduled = true;
    void RESOLVED.then(settleWoken);
  }
}

export class Parked<V = unknown> extends QueueNode implements TrackedWait {
  /** @internal */ _state: ParkedState = WAITING;
  /** @internal What the waker handed over (an item), or what a putter carries. */
  _value: V | undefined = undefined;
  /** @internal The cancellation to deliver once the grant is passed on (LATE, or shielded). */
  _error: unknown = undefined;
  /** @internal Set by `park()`. */
  _resolve: (value: unknown) => void = noop;
  /** @internal */ _reject: (reason: unknown) => void = noop;
  /** @internal */ _unlink: (() => void) | null = null;
  /** @internal The task listing this wait among several (see TrackedWait). */
  _owner: Task<unknown> | null = null;
  /** @internal */ _slot = -1;
  /** @internal What kind of wait this is (report name, consume step, shielding). */
  readonly _kind: ParkKind<never>;

  constructor(
    /** The primitive, for reports and the consume step. */
    readonly host: object,
    kind: ParkKind<V>,
  ) {
    super();
    this._kind = kind;
  }

  /** What the task is doing, for reports (e.g. "Lock.acquire()"). */
  get op(): string {
    return kindName(this._kind, this.host);
  }

  /** Waiter: done once consumed or failed (a LATE node still has to pass its grant on). */
  done(): boolean {
    return this._state === DONE;
  }

  /** Waiter: called by `task.cancel(message)`. */
  cancel(message?: string): boolean {
    return this.abort(new CancelledError(message));
  }

  /** Abortable: called when the `{ signal }` aborts. Returns whether the wait took the failure. */
  abort(reason: unknown): boolean {
    const state = this._state;
    if (state === DONE) return false;
    if (state === LATE || this._kind.shielded === true) {
      // Keep the first cancellation of a LATE node; a shielded wait keeps the latest.
      if (state !== LATE) this._error = reason;
      return true;
    }
    if (state === WOKEN) {
      this._state = LATE;
      this._error = reason;
      return true;
    }
    this.fail(reason);
    return true;
  }

  /** Hands the grant over: the node leaves its queue; its consume step runs in the settle microtask. */
  wake(): void {
    this._list?.remove(this);
    this._state = WOKEN;
    queueForSettling(this);
  }

  /** Wakes the node handing it `value` (an item for a getter). */
  wakeWith(value: V): void {
    this._value = value;
    this.wake();
  }

  /** Fails the wait (cancel before wake-up, shutdown, abort): leaves the queue, rejects. */
  fail(reason: unknown): void {
    this._list?.remove(this);
    this._state = DONE;
    this.detach();
    this._reject(reason);
  }

  /**
   * Called by the primitive's consume step. Returns true if the grant is the task's (state
   * DONE), false if it was cancelled after the wake-up (the caller must pass the grant on, then
   * throw `_error`).
   */
  settle(): boolean {
    this.detach();
    const late = this._state === LATE;
    this._state = DONE;
    return !late;
  }

  /** Cuts the wait's links to its signal and to its task's list of waits: it has ended. */
  private detach(): void {
    const unlink = this._unlink;
    if (unlink !== null) {
      this._unlink = null;
      unlink();
    }
    unlistWait(this);
  }

  /**
   * Queues the node and links it to the task and the signal; returns the promise the caller
   * awaits: the consume step's result (R), or the node itself when there is no consume step.
   */
  park<R = this>(queue: WaiterQueue<this>, task: Task<unknown> | undefined, signal: AbortSignal | undefined): Promise<R> {
    const promise = new Promise<R>(capture);
    this._resolve = nextResolve as (value: unknown) => void;
    this._reject = nextReject as (reason: unknown) => void;
    queue.push(this);
    if (signal !== undefined) this._unlink = linkSignal(signal, this);
    if (task !== undefined) task._waitOn(this);
    return promise;
  }

  /** For the task tree. */
  describe(): string {
    return `${this.op} on ${inspect(this.host)}`;
  }
}

function noop(): void {}
