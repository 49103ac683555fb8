/**
 * Cancel scopes: what a cancellation reaches.
 *
 * JavaScript promises are eager: `const p = q.get()` starts the wait at once, long before (or
 * without ever) being awaited, where Python's coroutine would not have run. So "cancel the task's
 * current await" is not enough to bound a cancellation: a timeout that cancelled *every* wait of
 * its task would also cancel `p` made before the scope, and abort a signal handed to a child
 * process before the scope was entered.
 *
 * Trio's answer, under asyncio's API: every task is the root of a tree of cancel contexts. A
 * `timeout()`, `waitFor()` or `taskGroup()` body runs inside a `CancelScope` of its own (it is the
 * AsyncLocalStorage store of that code, so concurrent code of the same task outside the scope is
 * not in it). A library wait is held by the innermost live context where it started. Cancelling a
 * context cancels the waits it holds and those of every scope inside it, and aborts their signals;
 * nothing outside it. `task.cancel()` cancels the root, so it still reaches everything the task
 * does.
 *
 * Invariants:
 * - A wait is held by exactly one context (`_owner`) from the moment it starts until it ends;
 *   `_slot` is its index in `_moreWaiters`, or -1 while it is the context's `_waiter`.
 * - A scope that exits hands the waits it still holds, and scopes still open inside it, to the
 *   context around it: what outlives a scope belongs to the code around the scope.
 * - `_mustCancel` on a context: a cancellation of that context found no wait to cancel (the code
 *   was running, or awaiting a foreign promise). The next library wait started in it, or in a
 *   scope inside it, fails at once with CancelledError (asyncio's `_must_cancel`).
 */
import { CancelledError } from "../errors.js";
import { runWith, storage } from "./context.js";
import { PENDING, type Waiter } from "./states.js";
import type { Loop } from "./loop.js";
import type { Task } from "./task.js";

/** A task or a scope inside it: where library waits are held and what a cancellation reaches. */
export interface CancelContext {
  /** @internal The task this context belongs to (a task is its own). */
  readonly _task: Task<unknown>;
  /** @internal */
  readonly _loop: Loop;
  /** @internal PENDING while waits may start in it (a pending task, an entered scope). */
  _state: number;
  /** @internal The context around this one: null for a task. */
  _outer: CancelContext | null;
  /** @internal The first wait it holds (asyncio's `_fut_waiter`). */
  _waiter: Waiter | null;
  /** @internal The other waits it holds at once (e.g. inside Promise.all). */
  _moreWaiters: Waiter[] | undefined;
  /** @internal Scopes entered inside it that have not exited. */
  _scopes: CancelScope[] | undefined;
  /** @internal */
  _mustCancel: boolean;
  /** @internal */
  _pendingCancelMessage: string | undefined;
  /** @internal */
  _controller: AbortController | undefined;
  /** @internal Whether `currentSignal()` taken in this context must be aborted already. */
  _signalReason(): CancelledError | undefined;
}

/**
 * Cancels the waits that `ctx` and the contexts around it hold and that started after `seq`, and
 * the scopes entered in them since (not `except`, the scope doing it); the waits of `waitFor(promise)`'s work.
 */
function cancelSince(ctx: CancelContext | null, seq: number, except: CancelScope, message: string | undefined): boolean {
  let cancelled = false;
  for (let c = ctx; c !== null; c = c._outer) {
    const waiter = c._waiter;
    if (waiter !== null && isHeld(waiter) && waiter._seq > seq && waiter.cancel(message)) cancelled = true;
    const more = c._moreWaiters;
    if (more !== undefined) {
      for (const w of more.slice()) if (isHeld(w) && w._seq > seq && w.cancel(message)) cancelled = true;
    }
    const scopes = c._scopes;
    if (scopes !== undefined) {
      for (const scope of scopes.slice()) if (scope !== except && scope._entrySeq > seq && cancelWaits(scope, message)) cancelled = true;
    }
  }
  return cancelled;
}

/** A wait a context holds: it removes itself from the context when it ends (see `endWait`). */
export interface HeldWait extends Waiter {
  _owner: CancelContext | null;
  _slot: number;
  /** When it started, in the order of all waits (see `waitSeq`). */
  _seq: number;
}

/**
 * Counts the waits started so far, in this process. A wait's `_seq` and a scope's entry stamp
 * tell which started first; a task's `_stepSeq` is the count when it last resumed or started.
 */
let waitSeq = 0;

/** A stamp for a wait starting now. */
export function nextWaitSeq(): number {
  return ++waitSeq;
}

/** The stamp of the latest wait started. */
export function lastWaitSeq(): number {
  return waitSeq;
}

export function isHeld(waiter: Waiter): waiter is HeldWait {
  return typeof (waiter as Partial<HeldWait>)._slot === "number";
}

/** The innermost live context of the running code, or undefined outside any pending task. */
export function currentContext(): CancelContext | undefined {
  let ctx: CancelContext | null | undefined = storage.getStore();
  // Code started inside a scope may run on after the scope exited: its waits go to the context
  // around it (a finished task has none).
  while (ctx !== undefined && ctx !== null && ctx._state !== PENDING) ctx = ctx._outer;
  return ctx ?? undefined;
}

/** Makes `ctx` hold `waiter` (a wait that started in it). */
export function holdWait(ctx: CancelContext, waiter: Waiter): void {
  if (ctx._loop._debug) ctx._task._recordAwait();
  const held = isHeld(waiter);
  const current = ctx._waiter;
  if (current === null || current === waiter || current.done()) {
    ctx._waiter = waiter;
    if (held) {
      waiter._owner = ctx;
      waiter._slot = -1;
    }
    return;
  }
  let more = ctx._moreWaiters;
  if (more === undefined) more = ctx._moreWaiters = [];
  if (held) {
    waiter._owner = ctx;
    waiter._slot = more.length;
  }
  more.push(waiter);
}

/** A held wait that ended leaves its context at once (swap with the last slot): nothing finished stays reachable. */
export function endWait(waiter: HeldWait): void {
  const ctx = waiter._owner;
  if (ctx === null) return;
  waiter._owner = null;
  const slot = waiter._slot;
  waiter._slot = -1;
  if (slot < 0) {
    if (ctx._waiter === waiter) ctx._waiter = null;
    return;
  }
  const more = ctx._moreWaiters;
  // A stale slot (the list was dropped by a cancel since) names someone else: leave it.
  if (more === undefined || more[slot] !== waiter) return;
  const last = more.pop() as Waiter;
  if (last === waiter) return;
  more[slot] = last;
  if (isHeld(last)) last._slot = slot;
}

/**
 * Cancels every wait `ctx` holds and every scope inside it, and aborts their signals. Returns
 * whether any wait took the cancellation; if none did, the caller records it as pending.
 */
export function cancelWaits(ctx: CancelContext, message: string | undefined): boolean {
  const controller = ctx._controller;
  if (controller !== undefined && !controller.signal.aborted) controller.abort(new CancelledError(message));
  let cancelled = false;
  // A cancelled wait leaves `_waiter` itself (endWait) once it ends; one that stays pending (an
  // awaited task that swallowed the cancellation) stays there, to be cancelled again.
  const waiter = ctx._waiter;
  if (waiter !== null && waiter.cancel(message)) cancelled = true;
  const more = ctx._moreWaiters;
  if (more !== undefined) {
    ctx._moreWaiters = undefined;
    for (const w of more) {
      if (isHeld(w) && w._owner === ctx) {
        w._owner = null;
        w._slot = -1;
      }
      if (w.cancel(message)) cancelled = true;
    }
  }
  const scopes = ctx._scopes;
  if (scopes !== undefined) for (const scope of scopes.slice()) if (cancelWaits(scope, message)) cancelled = true;
  return cancelled;
}

/**
 * A cancellation recorded on `ctx` or a context around it that no wait has taken yet: consumes it
 * (every such mark on the chain: one CancelledError delivers them all, as asyncio's one
 * `_must_cancel` does) and returns the error the new wait must fail with.
 */
export function takePendingCancel(ctx: CancelContext | undefined): CancelledError | null {
  let error: CancelledError | null = null;
  for (let c: CancelContext | null | undefined = ctx; c !== undefined && c !== null; c = c._outer) {
    if (c._mustCancel) {
      c._mustCancel = false;
      error ??= new CancelledError(c._pendingCancelMessage);
    }
  }
  return error;
}

/** Whether a cancellation not yet delivered is recorded on `ctx` or a context around it. */
export function pendingOnChain(ctx: CancelContext): boolean {
  for (let c: CancelContext | null = ctx; c !== null; c = c._outer) if (c._mustCancel) return true;
  return false;
}

/** The signal of `ctx`: aborts when it, or a context around it, is cancelled. */
export function signalOf(ctx: CancelContext): AbortSignal {
  let controller = ctx._controller;
  if (controller === undefined) {
    controller = ctx._controller = new AbortController();
    const reason = ctx._signalReason();
    if (reason !== undefined) controller.abort(reason);
  }
  return controller.signal;
}

/** Whether `ctx`, or a scope inside it, holds a wait that is not done. */
export function holdsPendingWait(ctx: CancelContext): boolean {
  const waiter = ctx._waiter;
  if (waiter !== null && !waiter.done()) return true;
  const more = ctx._moreWaiters;
  if (more !== undefined) for (const w of more) if (!w.done()) return true;
  const scopes = ctx._scopes;
  if (scopes !== undefined) for (const scope of scopes) if (holdsPendingWait(scope)) return true;
  return false;
}

/** The pending waits of `ctx` and of the scopes inside it, innermost scopes first (reports). */
export function pendingWaits(ctx: CancelContext, into: Waiter[] = []): Waiter[] {
  const scopes = ctx._scopes;
  if (scopes !== undefined) for (const scope of scopes) pendingWaits(scope, into);
  const waiter = ctx._waiter;
  if (waiter !== null && !waiter.done()) into.push(waiter);
  const more = ctx._moreWaiters;
  if (more !== undefined) for (const w of more) if (!w.done()) into.push(w);
  return into;
}

const CLOSED = -1;

/**
 * The cancel context of one `timeout()`, `waitFor()` or `taskGroup()` body. Its owner runs the body
 * with `run()` and calls `exit()` when the body is done.
 */
export class CancelScope implements CancelContext {
  _state = PENDING;
  readonly _task: Task<unknown>;
  readonly _loop: Loop;
  _waiter: Waiter | null = null;
  _moreWaiters: Waiter[] | undefined = undefined;
  _scopes: CancelScope[] | undefined = undefined;
  _mustCancel = false;
  _pendingCancelMessage: string | undefined = undefined;
  _controller: AbortController | undefined = undefined;
  /** Set once the scope cancelled itself (its deadline or its group's failure). */
  private cancelledWith: CancelledError | undefined = undefined;
  /** Waits started when the scope was entered have larger stamps. */
  readonly _entrySeq = waitSeq;
  /**
   * `waitFor(promise)`: the promise's work started in the code around the scope and goes on
   * there, so the scope also reaches the waits started around it since this stamp (see `reach`).
   */
  private reachFrom = -1;
  /** A wait handed to the scope (see `handOver`). */
  private handed: HeldWait | null = null;
  /** The context around it that was marked with this scope's pending cancel (`reach`). */
  private markedOuter: CancelContext | null = null;

  _outer: CancelContext;

  constructor(outer: CancelContext) {
    this._outer = outer;
    const _outer = outer;
    this._task = _outer._task;
    this._loop = _outer._loop;
    (_outer._scopes ??= []).push(this);
  }

  /** Runs `fn(...args)` with this scope as the context of everything it starts. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    return runWith(this, fn, args);
  }

  /**
   * Cancels the body: the waits started inside the scope (and what it awaits that was handed to
   * it, see `handOver`), the scopes inside it, and its signal. Counts as a cancellation request of the
   * task (`cancelling()`), as asyncio's `task.cancel()` from a timeout does; the owner uncancels on
   * exit.
   */
  cancel(message?: string): void {
    if (this._state !== PENDING) return;
    this._task._numCancelsRequested++;
    this.cancelledWith = new CancelledError(message);
    let cancelled = cancelWaits(this, message);
    if (this.handed !== null && this.handed.cancel(message)) cancelled = true;
    if (this.reachFrom >= 0 && cancelSince(this._outer, this.reachFrom, this, message)) cancelled = true;
    if (cancelled) return;
    this._mustCancel = true;
    this._pendingCancelMessage = message;
    const outer = this._outer;
    if (this.reachFrom >= 0 && !outer._mustCancel) {
      // The work is running or awaits a foreign promise: its next library wait, in the code
      // around the scope, takes the cancellation.
      outer._mustCancel = true;
      outer._pendingCancelMessage = message;
      this.markedOuter = outer;
    }
  }

  /**
   * `waitFor(promise)`: makes the scope reach the waits that the code around it started since
   * `seq` (the promise's first waits, started while it was made) and starts from now on: the
   * promise's work goes on in the context it was made in. Other code of the task running at the
   * same time is reached too; pass a function to scope exactly.
   */
  reach(seq: number): void {
    this.reachFrom = seq;
  }

  /**
   * Makes the scope reach a library wait started before it and handed to it (`waitFor(q.get(), t)`):
   * the body awaits it, so its cancellation cancels it, as asyncio's `wait_for` cancels the
   * awaitable it was given. The wait stays where it is held, so its own task still reaches it.
   */
  handOver(waiter: HeldWait): void {
    if (!waiter.done()) this.handed = waiter;
  }

  _signalReason(): CancelledError | undefined {
    if (this.cancelledWith !== undefined) return this.cancelledWith;
    const outer = signalOf(this._outer);
    return outer.aborted ? (outer.reason as CancelledError) : undefined;
  }

  /** Leaves the scope: what it still holds (and scopes left open inside it) now belongs to the context around it. */
  exit(): void {
    if (this._state !== PENDING) return;
    this._state = CLOSED;
    this._mustCancel = false;
    this.handed = null;
    const marked = this.markedOuter;
    if (marked !== null) {
      // This scope's cancellation, never taken: it must not outlive the scope.
      this.markedOuter = null;
      marked._mustCancel = false;
    }
    const outer = this._outer;
    const siblings = outer._scopes;
    if (siblings !== undefined) {
      const i = siblings.indexOf(this);
      if (i >= 0) {
        siblings[i] = siblings[siblings.length - 1] as CancelScope;
        siblings.pop();
      }
    }
    const waits: Waiter[] = [];
    if (this._waiter !== null && !this._waiter.done()) waits.push(this._waiter);
    if (this._moreWaiters !== undefined) for (const w of this._moreWaiters) if (!w.done()) waits.push(w);
    this._waiter = null;
    this._moreWaiters = undefined;
    for (const w of waits) {
      if (isHeld(w)) {
        w._owner = null;
        w._slot = -1;
      }
      holdWait(outer, w);
    }
    const inner = this._scopes;
    this._scopes = undefined;
    if (inner !== undefined) for (const scope of inner) reparent(scope, outer);
  }
}

function reparent(scope: CancelScope, outer: CancelContext): void {
  scope._outer = outer;
  (outer._scopes ??= []).push(scope);
}
