/**
 * Task: runs an async function in its own cancellation context. The function runs inside
 * `storage.run(task, ...)`, so every library await it makes (however deep) registers with this
 * task, and `cancel()` rejects that await with CancelledError. If the task is blocked on a foreign
 * promise, the cancellation is remembered (`_mustCancel`) and delivered at the next library await;
 * `currentSignal()` aborts at once for APIs that take a signal.
 *
 * A task is done only when its function has returned or thrown: cancelling never orphans work.
 */
import { inspect } from "node:util";
import { cancellationOf, CancelledError, InvalidStateError } from "../errors.js";
import { storage } from "./context.js";
import { CANCELLED, describeWaiter, FINISHED, Future, PENDING, type Waiter } from "./future.js";
import type { Loop } from "./loop.js";
import type { Linked } from "./taskList.js";
import { isThenable } from "./validate.js";
import { isTracked, type TrackedWait } from "./waiting.js";

/**
 * Options of `createTask()`, `loop.createTask()` and `TaskGroup.createTask()`.
 *
 * @example
 * const task = createTask(() => sleep(1), { name: "heartbeat" });
 * console.log(task.name); // "heartbeat"
 */
export interface TaskOptions {
  /** A name for reports and the task tree; defaults to `Task-N`. */
  name?: string;
}

let taskCounter = 0;

function startTask(task: Task<unknown>): void {
  if (task._state !== PENDING) return;
  if (task._mustCancel) {
    // Cancelled before its first step: asyncio throws into the unstarted coroutine, so the body never runs.
    task._mustCancel = false;
    task._finishCancelled(new CancelledError(task._pendingCancelMessage));
    return;
  }
  storage.run(task, startBody, task);
}

/** @internal The task a ready-queue entry starts, if it is a task's first step (debug reports). */
export function taskStartedBy(callback: unknown, arg: unknown): Task<unknown> | undefined {
  return callback === startTask ? (arg as Task<unknown>) : undefined;
}

// Runs inside storage.run(task, ...): the function's first step, then its outcome is taken with
// two shared reaction functions. A reaction runs in the context where `.then` was called, so
// storage.getStore() there is this task: no closure and no async wrapper per task.
function startBody(task: Task<unknown>): void {
  const fn = task._fn as () => unknown;
  task._fn = null;
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    task._fail(error);
    return;
  }
  if (result instanceof Promise) result.then(bodyFulfilled, bodyRejected);
  else if (isThenable(result)) Promise.resolve(result).then(bodyFulfilled, bodyRejected);
  else task._succeed(result);
}

function bodyFulfilled(value: unknown): void {
  (storage.getStore() as Task<unknown>)._succeed(value);
}

function bodyRejected(error: unknown): void {
  (storage.getStore() as Task<unknown>)._fail(error);
}

export class Task<T = unknown> extends Future<T> implements Linked {
  /** @internal */ _fn: (() => PromiseLike<T> | T) | null;
  /** @internal Null until read: the default name `Task-<id>` is built on demand. */
  _name: string | null;
  /** @internal */ readonly _id = ++taskCounter;
  /** @internal Links of the loop's pending-task tree (see TaskList). */
  _prevTask: Linked | null = null;
  /** @internal */ _nextTask: Linked | null = null;
  /** @internal */ _firstChild: Linked | null = null;
  /** @internal */ _mustCancel = false;
  /** @internal */ declare _pendingCancelMessage: string | undefined;
  /** @internal */ _numCancelsRequested = 0;
  /** @internal What the task awaits now (asyncio's `_fut_waiter`). */
  _waiter: Waiter | null = null;
  /** @internal Other library awaits in flight at once (e.g. inside Promise.all). */
  declare _moreWaiters: Waiter[] | undefined;
  /** @internal Size of _moreWaiters after its last pruning; pruning again at twice that keeps adds O(1). */
  private declare moreWaitersPruned: number | undefined;
  /** @internal */ declare _controller: AbortController | undefined;
  /** @internal The nearest pending ancestor, for the task tree (kept by the loop's TaskList). */
  _parent: Task<unknown> | null;
  /**
   * @internal Debug mode: where the task was created and where it last awaited, as captured
   * stacks. V8 formats a captured stack only when `.stack` is read, so recording one at every
   * library await costs the frame walk, not the formatting.
   */
  declare _creationSite: StackHolder | undefined;
  /** @internal */ declare _awaitSite: StackHolder | undefined;

  /** @internal Use `createTask()`. */
  constructor(fn: () => PromiseLike<T> | T, loop: Loop, options?: TaskOptions) {
    super(loop);
    this._fn = fn;
    const name = options?.name;
    if (name !== undefined && typeof name !== "string") {
      throw new TypeError(`createTask() expects options.name to be a string: received ${typeof name}`);
    }
    this._name = name ?? null;
    this._parent = storage.getStore() ?? null;
    if (loop._debug) this._creationSite = captureStack(Task as never);
    loop._tasks.add(this);
    loop._soon(startTask, this);
  }

  /**
   * The task's name, shown by `util.inspect`, the task tree and debug reports: the one given to
   * `createTask(fn, { name })`, else `Task-N` (N counts tasks created in this process). Setting
   * it converts the value with `String()`.
   */
  get name(): string {
    return (this._name ??= `Task-${this._id}`);
  }

  set name(value: string) {
    this._name = String(value);
  }

  /** Python spelling, for ported code. */
  getName(): string {
    return this.name;
  }

  /** Python spelling of `task.name = value`, for ported code; the value is converted with `String()`. */
  setName(value: string): void {
    this._name = String(value);
  }

  /**
   * Requests cancellation: the task's current library await rejects with CancelledError (or its
   * next one, if it is blocked on a foreign promise). Returns false if the task is already done.
   */
  override cancel(message?: string): boolean {
    this._markRetrieved();
    if (this._state !== PENDING) return false;
    this._numCancelsRequested++;
    const controller = this._controller;
    if (controller !== undefined && !controller.signal.aborted) controller.abort(new CancelledError(message));
    if (this.cancelWaiters(message)) return true;
    this._mustCancel = true;
    this._pendingCancelMessage = message;
    return true;
  }

  /** How many cancellation requests are pending (not yet `uncancel()`ed). */
  cancelling(): number {
    return this._numCancelsRequested;
  }

  /** Decrements the pending cancellation count and returns it; at 0 a pending undelivered cancel is dropped. */
  uncancel(): number {
    if (this._numCancelsRequested > 0) {
      this._numCancelsRequested--;
      if (this._numCancelsRequested === 0) {
        this._mustCancel = false;
        if (this._controller?.signal.aborted === true) this._controller = undefined;
      }
    }
    return this._numCancelsRequested;
  }

  /** @throws always: a task's outcome is its function's. */
  override setResult(_value: T): void {
    throw new InvalidStateError("Task does not support setResult(): its result is what its function returns");
  }

  /** @throws always: a task's outcome is its function's. */
  override setException(_exception: unknown): void {
    throw new InvalidStateError("Task does not support setException(): its outcome is what its function throws");
  }

  /** @internal Debug mode: the stack where the task was created. */
  get _creationStack(): string | undefined {
    return stackText(this._creationSite);
  }

  /** @internal Debug mode: the stack of the task's last library await. */
  get _awaitStack(): string | undefined {
    return stackText(this._awaitSite);
  }

  /**
   * Where the task is suspended, as stack lines. Recorded at each library await in debug mode;
   * outside it, the description of what the task awaits.
   */
  getStack(): string[] {
    if (this._state !== PENDING) return [];
    if (this._awaitStack !== undefined) return this._awaitStack.split("\n");
    const waiter = this._waiter;
    return waiter !== null && !waiter.done() ? [`awaiting ${describeWaiter(waiter)}`] : [];
  }

  /** Prints `getStack()` to stderr (or `stream`). */
  printStack(stream: { write(s: string): unknown } = process.stderr): void {
    const lines = this.getStack();
    stream.write(`Stack for ${inspect(this)}:\n${lines.map((l) => `  ${l.trim()}`).join("\n")}\n`);
  }

  /** The signal that aborts when this task is cancelled (a fresh one after `uncancel()` to 0). */
  get signal(): AbortSignal {
    let controller = this._controller;
    if (controller === undefined) {
      controller = this._controller = new AbortController();
      if (this._numCancelsRequested > 0) controller.abort(new CancelledError(this._pendingCancelMessage));
    }
    return controller.signal;
  }

  /** `await using task = createTask(...)`: on scope exit, cancels the task and waits for it to unwind. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.cancel();
    try {
      await this;
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
    }
  }

  override get [Symbol.toStringTag](): string {
    return "Task";
  }

  override [inspect.custom](): string {
    return `<Task ${JSON.stringify(this.name)} ${this.describeState()}>`;
  }

  /** What this task is, when another task waits on it: `task "name"`. */
  override describe(): string {
    return `task ${JSON.stringify(this.name)}`;
  }

  /** @internal Records `waiter` as what this task awaits. */
  _waitOn(waiter: Waiter): void {
    const current = this._waiter;
    if (current === null || current === waiter || current.done()) this._waiter = waiter;
    else this.addWaiter(waiter);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- only the frame boundary, never called
    if (this._loop._debug) this._awaitSite = captureStack(Task.prototype._waitOn);
  }

  /**
   * @internal A tracked wait (see `TrackedWait`) that ended leaves `_moreWaiters` at once, by
   * swapping the last entry into its slot, so the task does not keep finished waits alive.
   */
  _dropWaiter(waiter: TrackedWait): void {
    const more = this._moreWaiters;
    const slot = waiter._slot;
    waiter._slot = -1;
    // A stale slot (the list was dropped by cancel or finish since) names someone else: leave it.
    if (more === undefined || slot < 0 || more[slot] !== waiter) return;
    const last = more.pop() as Waiter;
    if (last === waiter) return;
    more[slot] = last;
    if (isTracked(last)) last._slot = slot;
  }

  private addWaiter(waiter: Waiter): void {
    let more = this._moreWaiters;
    if (more === undefined) more = this._moreWaiters = [];
    else if (more.length >= 16 && more.length >= 2 * (this.moreWaitersPruned ?? 0)) {
      // Untracked waits (futures) are only dropped here: compact in place, amortised O(1) per add.
      let kept = 0;
      for (const w of more) {
        if (w.done()) continue;
        if (isTracked(w)) w._slot = kept;
        more[kept++] = w;
      }
      more.length = kept;
      this.moreWaitersPruned = kept;
    }
    if (isTracked(waiter)) {
      waiter._owner = this;
      waiter._slot = more.length;
    }
    more.push(waiter);
  }

  /** @internal Consumes the pending cancellation and returns the error to deliver. */
  _takePendingCancel(): CancelledError {
    this._mustCancel = false;
    return new CancelledError(this._pendingCancelMessage);
  }

  /** @internal */
  _succeed(value: unknown): void {
    if (this._mustCancel) {
      this._mustCancel = false;
      this._finishCancelled(new CancelledError(this._pendingCancelMessage));
      return;
    }
    this.finish();
    this._result = value as T;
    this._state = FINISHED;
    this._settle();
  }

  /** @internal */
  _fail(error: unknown): void {
    // An AbortError a Node API raised for this task's aborted signal is its cancellation too.
    const cancelled = cancellationOf(error);
    if (cancelled !== null) {
      this._finishCancelled(cancelled);
      return;
    }
    this.finish();
    Future.prototype.setException.call(this, error);
  }

  /** @internal */
  _finishCancelled(error: CancelledError): void {
    this.finish();
    this._cancelledError = error;
    this._state = CANCELLED;
    this._cancelMessage = error.message === "" ? undefined : error.message;
    this._settle();
  }

  private finish(): void {
    this._loop._tasks.delete(this);
    this._waiter = null;
    if (this._moreWaiters !== undefined) this._moreWaiters = undefined; // (no new property on tasks that never had it)
    this._mustCancel = false;
    this._fn = null;
  }

  private cancelWaiters(message: string | undefined): boolean {
    let cancelled = false;
    const waiter = this._waiter;
    // Leave _waiter set: it may be a task that swallows the cancellation and must be cancelled again.
    if (waiter !== null && waiter.cancel(message)) cancelled = true;
    const more = this._moreWaiters;
    if (more !== undefined) {
      this._moreWaiters = undefined;
      for (const w of more) if (w.cancel(message)) cancelled = true;
    }
    return cancelled;
  }
}

/** A stack captured but not yet formatted. */
export interface StackHolder {
  stack?: string;
}

function captureStack(below: (...args: never[]) => unknown): StackHolder {
  const holder: StackHolder = {};
  Error.captureStackTrace(holder, below);
  return holder;
}

/** The frames of a captured stack (without its "Error" line), formatted now. */
export function stackText(holder: StackHolder | undefined): string | undefined {
  if (holder === undefined) return undefined;
  const text = holder.stack ?? "";
  const newline = text.indexOf("\n");
  return newline < 0 ? "" : text.slice(newline + 1);
}
