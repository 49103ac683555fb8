/**
 * A parked wait: the waiter a context holds (so a cancellation reaches it), the native promise the
 * caller awaits, and the state machine that makes cancellation exact. Every library wait resumes
 * through it: primitives' waits, sleeps (src/sleep.ts) and awaits of futures and tasks
 * (src/kernel/futureWait.ts). One resume path, so one set of rules:
 *
 *   WAITING --wake()--> WOKEN --settle--> DONE   (the grant is the task's: resolved)
 *      |                  |
 *      |fail/cancel       |cancel/abort before the settle step ran
 *      v                  v
 *   FAILED --settle-->  LATE --settle--> DONE   (the primitive passes the grant on: rejected)
 *      (rejected)
 *
 * A waker hands its grant (lock, permit, item, slot, notification, timer, future outcome) to a
 * WOKEN node at once, so a new caller can never barge in. The task takes the grant in the node's
 * settle step, which runs in a microtask: woken and failed nodes wait in one module-wide list.
 * Until that step, the wait is still the task's current await, so a cancellation that lands
 * in between (CPython's "cancelled after being woken" race, `lock.release(); task.cancel()`)
 * makes the wait fail with CancelledError and the grant goes to the next waiter: either it
 * happened, or you got cancelled and nothing changed. A failure (a `{ signal }` abort, a queue
 * shut down) is delivered through the same step, so a cancel that arrives after it still wins
 * and is never lost.
 *
 * Settling is serialized across tasks: after resuming one task's wait, the next task's wait is
 * settled in a later microtask, queued behind the first task's continuation. So a task resumed
 * here runs its step (to its next await) before the next one resumes, as asyncio runs one task
 * step at a time, and what that step does (cancel the other task, take its lock) lands before the
 * other resumes.
 */
import { inspect } from "node:util";
import { cancellationOf, CancelledError } from "../errors.js";
import { resolveOpaque } from "../kernel/opaque.js";
import { endWait, holdWait, lastWaitSeq, nextWaitSeq, takePendingCancel, type CancelContext, type HeldWait } from "../kernel/scope.js";
import { inBatch, setBatchEndHook } from "../kernel/batch.js";
import { linkSignal } from "../kernel/waiting.js";
import { QueueNode, type WaiterQueue } from "./waiterQueue.js";

export const WAITING = 0;
export const WOKEN = 1;
export const LATE = 2;
export const FAILED = 3;
export const DONE = 4;
export type ParkedState = typeof WAITING | typeof WOKEN | typeof LATE | typeof FAILED | typeof DONE;

/** Returned by `refusal()` when the call may proceed. */
export const PROCEED: unique symbol = Symbol("proceed");

/**
 * Why a blocking call must fail at the door, before touching the primitive: a cancellation the
 * context could not receive yet (delivered at its next library await), or an already aborted signal.
 */
export function refusal(ctx: CancelContext | undefined, signal: AbortSignal | undefined): unknown {
  const pending = takePendingCancel(ctx);
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

/** The most recently parked wait and its promise: how `waitFor(q.get(), t)` finds the wait it was handed. */
let lastPromise: Promise<unknown> | null = null;
let lastParked: Parked<unknown> | null = null;

function remember(promise: Promise<unknown> | null, node: Parked<unknown> | null): void {
  lastPromise = promise;
  lastParked = node;
}

/** The wait behind `promise`, if it is the library wait started last and still pending. */
export function parkedFor(promise: unknown): Parked<unknown> | null {
  if (promise !== lastPromise || lastParked === null || lastParked._state === DONE) return null;
  return lastParked;
}

/**
 * What a woken node's caller receives, computed in its settle step: the primitive takes its grant
 * (or passes it on and throws the late cancellation). Shared module functions, never closures.
 * Without one, the promise resolves with the node itself and the awaiting code settles it
 * (Condition, Barrier).
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

/** The node whose consume step runs now: whose task takes a guard handed over (for the monitor). */
let settling: Parked<unknown> | null = null;

/** The task a grant is being handed to right now, if a consume step runs. */
export function settlingTask(): CancelContext["_task"] | undefined {
  return settling?._owner?._task;
}

// Woken and failed nodes waiting for their settle step, linked through `_next` (free once unqueued).
let settleHead: Parked<unknown> | null = null;
let settleTail: Parked<unknown> | null = null;
let settleScheduled = false;
const RESOLVED = Promise.resolve();

function settleWoken(): void {
  // Consume steps may wake further nodes (a semaphore's free permits, a queue's putters); they
  // join the list. Nodes of one task (or of none) settle in one pass; when the next node belongs
  // to another task, the pass stops and goes on in a microtask queued behind the continuation
  // just resumed, so that task's step runs first.
  let resumed: unknown = null;
  for (let node = settleHead; node !== null; node = settleHead) {
    const owner = node._owner;
    if (owner !== null) {
      const task = owner._task;
      if (resumed !== null && task !== resumed) {
        void RESOLVED.then(settleWoken);
        return;
      }
      if (resumed !== task) task._stepSeq = lastWaitSeq();
      resumed = task;
    }
    settleHead = node._next as Parked<unknown> | null;
    if (settleHead === null) settleTail = null;
    node._next = null;
    node._settleStep();
  }
  settleScheduled = false;
}

function queueForSettling(node: Parked<unknown>): void {
  if (settleTail === null) settleHead = node;
  else settleTail._next = node;
  settleTail = node;
  if (!settleScheduled) {
    settleScheduled = true;
    // Woken by a loop callback: the loop settles at the end of its batch (no microtask needed).
    if (!inBatch()) void RESOLVED.then(settleWoken);
    else settleAtBatchEnd = true;
  }
}

/** Set when the settle pass waits for the end of the running loop batch. */
let settleAtBatchEnd = false;

setBatchEndHook(() => {
  if (!settleAtBatchEnd) return;
  settleAtBatchEnd = false;
  settleWoken();
});

export class Parked<V = unknown> extends QueueNode implements HeldWait {
  // Declared, and assigned in the constructor: see QueueNode.
  /** @internal */ declare _state: ParkedState;
  /** @internal What the waker handed over (an item), or what a putter carries. */
  declare _value: V | undefined;
  /** @internal The failure to deliver: a LATE node's cancellation, a FAILED node's reason (or a shielded wait's cancel). */
  declare _error: unknown;
  /** @internal Set by `park()`. */
  declare _resolve: (value: unknown) => void;
  /** @internal */ declare _reject: (reason: unknown) => void;
  /** @internal */ declare _unlink: (() => void) | null;
  /** @internal The context holding this wait until it settles (see HeldWait). */
  declare _owner: CancelContext | null;
  /** @internal */ declare _slot: number;
  /** @internal When it started (see HeldWait). */
  declare _seq: number;
  /** @internal What kind of wait this is (report name, consume step, shielding). */
  declare readonly _kind: ParkKind<never>;
  /** The primitive, for reports and the consume step. */
  declare readonly host: object;

  constructor(host: object, kind: ParkKind<V>) {
    super();
    this._state = WAITING;
    this._value = undefined;
    this._error = undefined;
    this._resolve = noop;
    this._reject = noop;
    this._unlink = null;
    this._owner = null;
    this._slot = -1;
    this._seq = 0;
    this._kind = kind;
    this.host = host;
  }

  /** What the task is doing, for reports (e.g. "Lock.acquire()"). */
  get op(): string {
    return kindName(this._kind, this.host);
  }

  /** Waiter: done once settled (a LATE node still has to pass its grant on). */
  done(): boolean {
    return this._state === DONE;
  }

  /**
   * Waiter: called by a cancellation of the context holding it. Until the settle step the wait is
   * still the task's current await, so the cancellation is delivered here: it fails a waiting
   * node, makes a woken one LATE, and replaces a failure that is not already a cancellation (a
   * signal's abort reason), so a cancel is never accepted and then lost.
   */
  cancel(message?: string): boolean {
    const state = this._state;
    if (state === DONE) return false;
    if (this._kind.shielded === true) {
      this._error = new CancelledError(message);
      return true;
    }
    if (state === WAITING) this.fail(new CancelledError(message));
    else if (state === WOKEN) {
      this._state = LATE;
      this._error = new CancelledError(message);
    } else if (cancellationOf(this._error) === null) this._error = new CancelledError(message);
    return true;
  }

  /** Abortable: called when the `{ signal }` aborts. The first failure of a node is kept. */
  abort(reason: unknown): void {
    const state = this._state;
    if (state === DONE) return;
    if (this._kind.shielded === true) {
      this._error = reason;
      return;
    }
    if (state === WAITING) this.fail(reason);
    else if (state === WOKEN) {
      this._state = LATE;
      this._error = reason;
    }
  }

  /** Hands the grant over: the node leaves its queue; its consume step runs in the settle step. */
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

  /** Fails the wait (cancel before wake-up, shutdown, abort): leaves the queue; rejects in the settle step. */
  fail(reason: unknown): void {
    this._list?.remove(this);
    this._state = FAILED;
    this._error = reason;
    const unlink = this._unlink;
    if (unlink !== null) {
      this._unlink = null;
      unlink();
    }
    this._onFail();
    queueForSettling(this);
  }

  /** @internal How a failed wait's caller gets the failure (a future's await runs its handlers). */
  _deliverFailure(error: unknown): void {
    this._reject(error);
  }

  /** @internal Hook for subclasses: a failed wait lets go of what it holds (a sleep's timer). */
  _onFail(): void {}

  /**
   * Called by the primitive's consume step. Returns true if the grant is the task's (state
   * DONE), false if it was cancelled after the wake-up (the caller must pass the grant on, then
   * throw `_error`).
   */
  settle(): boolean {
    let late = this._state === LATE;
    const owner = this._owner;
    if (owner !== null) {
      if (!late) {
        // A cancel that found nothing to cancel (what this waits on was finishing, or the task
        // was between steps) is delivered here, at the resume point, as Task.__step does with
        // `_must_cancel`.
        const pending = takePendingCancel(owner);
        if (pending !== null) {
          late = true;
          this._error = pending;
        }
      } else if (owner._task._numCancelsRequested === 0 && this._error instanceof CancelledError) {
        // A cancellation withdrawn by `uncancel()` before the task resumed is not delivered
        // (asyncio clears `_must_cancel` when the count drops to zero).
        late = false;
      }
    }
    this.detach();
    this._state = DONE;
    return !late;
  }

  /** @internal The settle step: rejects a failed node, else runs the kind's consume step. */
  _settleStep(): void {
    if (this._state === FAILED) {
      const pending = this._owner !== null ? takePendingCancel(this._owner) : null;
      this.detach();
      this._state = DONE;
      this._deliverFailure(pending ?? this._error);
      return;
    }
    const consume = this._kind.consume as ((node: Parked<unknown>) => unknown) | null;
    if (consume === null) {
      this._resolve(this);
      return;
    }
    let result: unknown;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- names the node for the monitor's guard hook during this call only
    settling = this;
    try {
      result = consume(this);
    } catch (error) {
      settling = null;
      this._reject(error);
      return;
    }
    settling = null;
    this._resolveWith(result);
  }

  /** @internal Resolves the caller's promise: a Future or Task handed over (a queue item, a sleep's value) arrives as itself, as in asyncio. */
  _resolveWith(result: unknown): void {
    if (typeof result === "object" && result !== null) resolveOpaque(this._resolve, result);
    else this._resolve(result);
  }

  /** Cuts the wait's links to its signal, to the context holding it, and to `parkedFor`: it has ended. */
  private detach(): void {
    const unlink = this._unlink;
    if (unlink !== null) {
      this._unlink = null;
      unlink();
    }
    endWait(this);
    if (lastParked === (this as Parked<unknown>)) remember(null, null);
  }

  /**
   * Queues the node and links it to its context and the signal; returns the promise the caller
   * awaits: the consume step's result (R), or the node itself when there is no consume step.
   */
  park<R = this>(queue: WaiterQueue<this> | null, ctx: CancelContext | undefined, signal: AbortSignal | undefined): Promise<R> {
    const promise = new Promise<R>(capture);
    this._resolve = nextResolve as (value: unknown) => void;
    this._reject = nextReject as (reason: unknown) => void;
    if (queue !== null) queue.push(this);
    if (signal !== undefined) this._unlink = linkSignal(signal, this);
    if (ctx !== undefined) {
      this._seq = nextWaitSeq();
      holdWait(ctx, this);
      remember(promise, this);
    }
    return promise;
  }

  /** For the task tree. */
  describe(): string {
    return `${this.op} on ${inspect(this.host)}`;
  }
}

function noop(): void {}
