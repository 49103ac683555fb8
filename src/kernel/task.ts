/**
 * Task: runs an async function in its own cancellation context. The function runs inside
 * `storage.run(task, ...)`, so every library await it makes (however deep) registers with this
 * task, and `cancel()` rejects that await with CancelledError. If the task is blocked on a foreign
 * promise, the cancellation is remembered (`_mustCancel`) and delivered at the next library await;
 * `currentSignal()` aborts at once for APIs that take a signal.
 *
 * A task is done only when its function has returned or thrown: cancelling never orphans work.
 */
import type { AsyncResource } from "node:async_hooks";
import { inspect } from "node:util";
import { cancellationOf, CancelledError, InvalidStateError } from "../errors.js";
import { captureCreator, enterCaptured, runWith, storage } from "./context.js";
import { cancelCycle } from "./cancelCycle.js";
import { describeWaiter, Future } from "./future.js";
import type { Loop } from "./loop.js";
import { cancelWaits, holdsPendingWait, lastWaitSeq, pendingWaits, signalOf, type CancelContext, type CancelScope } from "./scope.js";
import { CANCELLED, FINISHED, PENDING, type Waiter } from "./states.js";
import { observer } from "./observe.js";
import type { Linked } from "./taskList.js";
import { isThenable } from "./validate.js";

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
  /**
   * Start the function at once, inside `createTask()`, instead of on the loop's next batch
   * (asyncio 3.12's `eager_start`). It runs synchronously until its first real suspension; a task
   * whose function never suspends never touches the ready queue. A synchronous function's task is
   * done when `createTask()` returns; an async function that returns without suspending finishes
   * after the current microtasks (JavaScript cannot read a settled promise synchronously).
   * Whatever the function throws before it suspends is the task's exception, not createTask's.
   */
  eagerStart?: boolean;
}

let taskCounter = 0;

function startTask(task: Task<unknown>): void {
  const context = task._context;
  task._context = null;
  if (task._state !== PENDING) return;
  if (task._mustCancel) {
    // Cancelled before its first step: asyncio throws into the unstarted coroutine, so the body never runs.
    task._mustCancel = false;
    task._finishCancelled(new CancelledError(task._pendingCancelMessage));
    return;
  }
  if (context !== null) enterCaptured(context, task, startBody, task);
  else runWith(task, startBody, [task]);
}

function currentContextTask(): Task<unknown> | undefined {
  return storage.getStore()?._task;
}

/** @internal The task a ready-queue entry starts, if it is a task's first step (debug reports). */
export function taskStartedBy(callback: unknown, arg: unknown): Task<unknown> | undefined {
  return callback === startTask ? (arg as Task<unknown>) : undefined;
}

// Runs inside storage.run(task, ...): the function's first step, then its outcome is taken with
// two shared reaction functions. A reaction runs in the context where `.then` was called, so
// storage.getStore() there is this task: no closure and no async wrapper per task.
function startBody(task: Task<unknown>): void {
  task._stepSeq = lastWaitSeq();
  const fn = task._fn as () => unknown;
  task._fn = null;
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    task._fail(error);
    return;
  }
  let body: Promise<unknown>;
  if (result instanceof Promise) body = result;
  else if (isThenable(result)) body = Promise.resolve(result);
  else {
    task._succeed(result);
    return;
  }
  // Kept (in the slot the function used) so that cancel() can tell a body that has already
  // returned: see bodySettled().
  task._fn = body;
  body.then(bodyFulfilled, bodyRejected);
}

function bodyFulfilled(value: unknown): void {
  (storage.getStore() as Task<unknown>)._succeed(value);
}

function bodyRejected(error: unknown): void {
  (storage.getStore() as Task<unknown>)._fail(error);
}

const SETTLED_PROBE = { depth: 0, maxArrayLength: 0, maxStringLength: 0, breakLength: Infinity, customInspect: false } as const;

/**
 * Whether a task body's promise has settled although its reaction (which records the outcome)
 * has not run yet. asyncio runs a task's step atomically: once the coroutine returned, the task is
 * done and `cancel()` returns false. Here the return and its recording are a microtask apart, and a
 * cancel from code that runs in between must not turn the finished work into "cancelled" and drop
 * its result. V8 exposes a promise's state only through `util.inspect`, so this is asked only when
 * a cancel found nothing the task waits on.
 */
function bodySettled(body: unknown): boolean {
  return body instanceof Promise && !inspect(body, SETTLED_PROBE).startsWith("Promise { <pending>");
}

/**
 * What `loop.createTask()` calls to make a task, when set with `loop.setTaskFactory()` (asyncio's
 * task factories). A custom factory may wrap `eagerTaskFactory`, e.g. to name or count tasks.
 */
export type TaskFactory = <T>(loop: Loop, fn: () => PromiseLike<T> | T, options?: TaskOptions) => Task<T>;

/**
 * The factory that starts every task eagerly (asyncio 3.12's `eager_task_factory`): as if each
 * `createTask()` passed `{ eagerStart: true }`, unless it passes `eagerStart: false`.
 *
 * @example
 * await run(async () => {
 *   getRunningLoop().setTaskFactory(eagerTaskFactory);
 *   const t = createTask(() => 42); // already done
 * });
 */
export const eagerTaskFactory: TaskFactory = (loop, fn, options) => new Task(fn, loop, options, true);

export class Task<T = unknown> extends Future<T> implements Linked, CancelContext {
  /** @internal The function until it starts, then its promise until the task is done. */
  _fn: (() => PromiseLike<T> | T) | Promise<unknown> | null;
  /** @internal Null until read: the default name `Task-<id>` is built on demand. */
  _name: string | null;
  /**
   * @internal Until the task starts: the context it was created in (see `captureCreator`), so its
   * code sees its creator's AsyncLocalStorage values, with the task as the library's.
   */
  _context: AsyncResource | null = null;
  /** @internal */ readonly _id = ++taskCounter;
  /** @internal Links of the loop's pending-task tree (see TaskList). */
  _prevTask: Linked | null = null;
  /** @internal */ _nextTask: Linked | null = null;
  /** @internal */ _firstChild: Linked | null = null;
  /** @internal */ _mustCancel = false;
  /** @internal */ declare _pendingCancelMessage: string | undefined;
  /** @internal */ _numCancelsRequested = 0;
  /**
   * @internal The wait stamp when the task last resumed from a library wait or started (see
   * scope.ts); compared with the loop's `_batchSeq`, it also tells whether that was in this batch.
   */
  _stepSeq = 0;
  /**
   * @internal The pending cancellation came from elsewhere while the task was still in the step
   * it had just resumed for: if that step returns, the task keeps its result (see `_succeed`).
   */
  declare _softCancel: boolean | undefined;
  /**
   * @internal True while `cancel()` passes the cancellation on to what the task awaits: an await
   * cycle (A awaits B awaits A) comes back here, and the wait that closes it fails instead.
   */
  declare _inCancel: boolean | undefined;
  /** @internal Set when a soft cancel was withdrawn because the step returned (see `_succeed`). */
  declare _cancelWithdrawn: boolean | undefined;
  /** @internal What the task awaits now (asyncio's `_fut_waiter`), outside any scope. */
  _waiter: Waiter | null = null;
  /** @internal Other library awaits in flight at once (e.g. inside Promise.all). */
  declare _moreWaiters: Waiter[] | undefined;
  /** @internal Cancel scopes open in the task (timeout, waitFor, taskGroup bodies). */
  declare _scopes: CancelScope[] | undefined;
  /** @internal */ declare _controller: AbortController | undefined;
  /** @internal The task-level cancellation its signal reports (a scope's own does not abort it). */
  declare _cancelReason: CancelledError | undefined;
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
  constructor(fn: () => PromiseLike<T> | T, loop: Loop, options?: TaskOptions, eagerByDefault = false) {
    super(loop);
    this._fn = fn;
    const name = options?.name;
    if (name !== undefined && typeof name !== "string") {
      throw new TypeError(`createTask() expects options.name to be a string: received ${typeof name}`);
    }
    const eager = options?.eagerStart ?? eagerByDefault;
    if (typeof eager !== "boolean") {
      throw new TypeError(`createTask() expects options.eagerStart to be a boolean: received ${typeof eager}`);
    }
    this._name = name ?? null;
    this._parent = storage.getStore()?._task ?? null;
    if (loop._debug) this._creationSite = captureStack(Task as never);
    loop._tasks.add(this);
    if (observer !== null) observer.taskCreated(this);
    if (eager === true) startTask(this);
    else {
      this._context = captureCreator(this);
      loop._soon(startTask, this);
    }
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
   * next one, if it is blocked on a foreign promise). Returns false if the task is already done,
   * or if its function has already returned and only the recording of its result is pending.
   */
  override cancel(message?: string): boolean {
    this._markRetrieved();
    if (this._state !== PENDING) return false;
    if (this._inCancel === true) {
      // Re-entered through an await cycle (see cancelCycle.ts): the wait that led here fails.
      cancelCycle.hit = true;
      return false;
    }
    if (!holdsPendingWait(this) && currentContextTask() !== this && bodySettled(this._fn)) return false;
    this._numCancelsRequested++;
    this._cancelReason = new CancelledError(message);
    this._inCancel = true;
    cancelCycle.depth++;
    let cancelled: boolean;
    try {
      cancelled = cancelWaits(this, message);
    } finally {
      this._inCancel = false;
      // A cycle mark nobody consumed must not reach an unrelated cancel later.
      if (--cancelCycle.depth === 0) cancelCycle.hit = false;
    }
    if (cancelled) return true;
    this._mustCancel = true;
    this._pendingCancelMessage = message;
    // Resumed (or started) since the current loop batch began: still in that step.
    const soft = this._stepSeq >= this._loop._batchSeq && currentContextTask() !== this;
    if (soft || this._softCancel !== undefined) this._softCancel = soft;
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
        this._cancelReason = undefined;
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
    const waiter = pendingWaits(this)[0];
    return waiter !== undefined ? [`awaiting ${describeWaiter(waiter)}`] : [];
  }

  /** Prints `getStack()` to stderr (or `stream`). */
  printStack(stream: { write(s: string): unknown } = process.stderr): void {
    const lines = this.getStack();
    stream.write(`Stack for ${inspect(this)}:\n${lines.map((l) => `  ${l.trim()}`).join("\n")}\n`);
  }

  /** The signal that aborts when this task is cancelled (a fresh one after `uncancel()` to 0). */
  get signal(): AbortSignal {
    return signalOf(this);
  }

  /** @internal CancelContext: a task is its own. */
  get _task(): Task<unknown> {
    return this;
  }

  /** @internal CancelContext: nothing is around a task. */
  get _outer(): null {
    return null;
  }

  /** @internal CancelContext: what the task's signal must report when it is made after a cancel. */
  _signalReason(): CancelledError | undefined {
    return this._cancelReason;
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

  /** @internal Debug mode: records where the task's code made its latest library await. */
  _recordAwait(): void {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- only the frame boundary, never called
    this._awaitSite = captureStack(Task.prototype._recordAwait);
  }

  /** @internal */
  _succeed(value: unknown): void {
    if (this._mustCancel) {
      this._mustCancel = false;
      if (this._softCancel === true) {
        // Cancelled from elsewhere while still in the step it had resumed for, and that step
        // returned: asyncio runs a step atomically, so there the task would have finished first
        // and cancel() found it done. It keeps its result; the request is withdrawn, and a
        // task that awaits it and passed its own cancel on through it gets that cancel back
        // (see FutureWait: asyncio's parent would have found this task done).
        this._numCancelsRequested--;
        this._cancelWithdrawn = true;
      } else {
        this._finishCancelled(new CancelledError(this._pendingCancelMessage));
        return;
      }
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
    // (no new property on tasks that never had them)
    if (this._moreWaiters !== undefined) this._moreWaiters = undefined;
    if (this._scopes !== undefined) this._scopes = undefined;
    this._mustCancel = false;
    this._fn = null;
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
