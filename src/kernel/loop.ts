/**
 * The event loop: a FIFO ready queue run in batches from `setImmediate`, and a timer heap woken
 * by the clock. Node already has an event loop; this one exists to give asyncio's ordering
 * (callbacks in FIFO batches, timers on a replaceable clock) and one place for error reporting.
 *
 * Invariant: a batch runs only the callbacks that were ready when it started; what they schedule
 * runs in the next batch, after Node has polled I/O, so `sleep(0)` loops never starve I/O.
 */
import { inspect } from "node:util";
import { RealClock, type Clock, type ClockHost } from "./clock.js";
import { captureCaller, enterCallbacks, outsideTasks, setLoopFactory } from "./context.js";
import { Future } from "./future.js";
import { Handle, TimerHandle } from "./handle.js";
import { addSignalHandler, removeSignalHandler, type SignalName } from "./signals.js";
import { TimerHeap } from "./heap.js";
import { debugEnabled, markBatchTimed, reportSlow } from "../debug/slowCallbacks.js";
import { Task, taskStartedBy, type TaskFactory, type TaskOptions } from "./task.js";
import { batchEnded, batchStarted } from "./batch.js";
import { nextWaitSeq } from "./scope.js";
import { TaskList } from "./taskList.js";
import { checkDelay, checkFunction, checkOptions, checkWhen, describe } from "./validate.js";
import type { Executor, Work } from "../executors/pool.js";

/** How `loop.runInExecutor` reaches src/executors (registered there; keeps the kernel free of an import cycle). */
type ExecutorRunner = (loop: Loop, executor: Executor | null, fn: unknown, args: unknown[]) => Future<unknown>;
let executorRunner: ExecutorRunner | null = null;

/** Registered once by src/executors/default.ts. */
export function setExecutorRunner(runner: ExecutorRunner): void {
  executorRunner = runner;
}

/** What the loop tells its exception handler (Python's context dict). */
export interface ExceptionContext {
  /** What happened, in one line or a few (e.g. "Exception in callback"). */
  message: string;
  /** The error concerned, if any: thrown by a callback, or the failure nobody retrieved. */
  exception?: unknown;
  /**
   * The future whose failure nobody retrieved. In a report made after the future was
   * garbage-collected, only its label string ("Future").
   */
  future?: Future<unknown>;
  /**
   * The task concerned: its failure was never retrieved, it was still pending at `run()`'s end, or
   * it blocked the loop (debug mode). In a report made after the task was garbage-collected, only
   * its label string (`Task "name"`).
   */
  task?: Task<unknown>;
  /** asyncio's `handle`: the handle whose callback failed. The loop does not fill it in yet. */
  handle?: Handle;
  /**
   * More details, by report: `kind` (`"pending-at-exit"`, `"slow-callback"`), `duration` (seconds
   * a slow callback ran), `context` (the original context, when the handler itself threw).
   */
  [key: string]: unknown;
}

/**
 * A loop's exception handler (see `Loop.setExceptionHandler()`): called with the loop and what
 * happened. It runs synchronously where the problem is found, often inside the loop's own
 * bookkeeping, so it should be quick and must not throw (a throw is reported to stderr instead).
 */
export type ExceptionHandler = (loop: Loop, context: ExceptionContext) => void;

/** Options of `new Loop()`; `run()` and `Runner` pass theirs through. */
export interface LoopOptions {
  /** The loop's time source; default a `RealClock` (e.g. `new VirtualClock()` in tests). */
  clock?: Clock;
  /** Debug mode; default from the `ASYNCIO_TS_DEBUG` environment variable. */
  debug?: boolean;
}

/**
 * @internal Checks `clock` and `debug` of `new Loop()`, `run()` and `new Runner()` where they are
 * given: a bad clock otherwise fails later, deep in the first timer, with a message about its
 * methods rather than the option.
 */
export function checkLoopOptions(where: string, options: LoopOptions): void {
  const { clock, debug } = options;
  if (debug !== undefined && typeof debug !== "boolean") throw new TypeError(`${where} expects options.debug to be a boolean: received ${describe(debug)}`);
  if (clock === undefined || clock === null) return; // the default clock
  const c = clock as Partial<Clock>;
  if (typeof c !== "object" || typeof c.now !== "function" || typeof c.arm !== "function" || typeof c.disarm !== "function") {
    throw new TypeError(`${where} expects options.clock to be a Clock (an object with now(), arm() and disarm(), such as new VirtualClock()): received ${describe(clock)}`);
  }
}

type Callback = (arg: never) => void;

/** Internal fast path entry: the ready queue holds (callback, argument) pairs, flat. */
function runHandle(handle: Handle): void {
  handle._run();
}

function fireTimer(loop: Loop): void {
  loop._onTimer();
}

function scheduleImmediate(loop: Loop): void {
  setImmediate(runReadyBatch, loop);
}

function runReadyBatch(loop: Loop): void {
  loop._runReady();
}

/** asyncio's RuntimeError('Event loop is closed'), naming what was attempted. */
function loopClosed(what: string): Error {
  return new Error(
    `Event loop is closed: ${what} after the run() or Runner that owned the loop finished. ` +
      "Outside any task, getRunningLoop() is the default loop.",
  );
}

export class Loop implements ClockHost {
  /** @internal Backing field of `slowCallbackDuration` (read directly by the timed batch). */
  _slowCallbackDuration = 0.1;

  /** A synchronous stretch longer than this (seconds) is reported in debug mode. */
  get slowCallbackDuration(): number {
    return this._slowCallbackDuration;
  }

  /** Throws TypeError/RangeError unless `seconds` is a number >= 0. */
  set slowCallbackDuration(seconds: number) {
    // An accessor, not a plain field: a bad value (a string, NaN, a negative duration) throws where
    // it is set, as every argument of the library does, instead of silently turning reports off or on.
    if (typeof seconds !== "number") throw new TypeError(`slowCallbackDuration expects a duration in seconds (a number): received ${describe(seconds)}`);
    if (Number.isNaN(seconds) || seconds < 0) throw new RangeError(`slowCallbackDuration expects a duration in seconds >= 0: received ${seconds}`);
    this._slowCallbackDuration = seconds;
  }

  /** @internal */ readonly _clock: Clock;
  /** @internal */ _debug: boolean;
  /** @internal Pending tasks, as the tree of who started whom. */ readonly _tasks = new TaskList<Task<unknown>>();
  /** @internal */ _exceptionHandler: ExceptionHandler | null = null;
  /** @internal */ _closing = false;
  /**
   * @internal The wait stamp (scope.ts) taken when the current batch began: a task whose
   * `_stepSeq` is not below it resumed in this batch, so it is still in that step (Task.cancel).
   */
  _batchSeq = 0;
  /** @internal See `isClosed()`. */ _closed = false;
  /** @internal Called when run() finishes with this loop (default executor shutdown, reports). */
  readonly _closeHooks: Array<() => Promise<void> | void> = [];

  private taskFactory: TaskFactory | null = null;
  private ready: unknown[] = [];
  private spare: unknown[] = [];
  private batchScheduled = false;
  private running = false;
  private readonly timers = new TimerHeap<TimerHandle>();
  private liveTimers = 0;
  private cancelledTimers = 0;
  private timerSeq = 0;
  private armedFor = Infinity;
  private readonly wake = (): void => {
    this.armedFor = Infinity;
    fireTimer(this);
  };
  private readonly onTimerCancel = (_handle: TimerHandle): void => {
    this.liveTimers--;
    this.cancelledTimers++;
    if (this.liveTimers === 0) {
      // Nothing left to wake for: drop the heap and the clock's pending timer, so a cancelled
      // long timeout does not keep the process alive.
      this.timers.items = [];
      this.cancelledTimers = 0;
      this.armedFor = Infinity;
      this._clock.disarm();
    } else if (this.cancelledTimers > 64 && this.cancelledTimers * 2 > this.timers.size) {
      this.timers.filter((t) => !t._cancelled);
      this.cancelledTimers = 0;
    }
  };

  constructor(options: LoopOptions = {}) {
    checkOptions("Loop", options);
    checkLoopOptions("Loop", options);
    this._clock = options.clock ?? new RealClock();
    this._debug = options.debug ?? isDebugFromEnv();
    if (this._debug) debugEnabled(true, this);
    this._clock.attach?.(this);
  }

  /** Monotonic time in seconds, from the loop's clock. */
  time(): number {
    return this._clock.now();
  }

  /** Schedules `callback(...args)` to run in the next batch of ready callbacks (FIFO). */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    checkFunction("callSoon()", callback);
    if (this._closed) throw loopClosed("callSoon() was called");
    const handle = new Handle(callback, args);
    handle._context = captureCaller();
    this._soon(runHandle, handle);
    return handle;
  }

  /** Schedules `callback(...args)` after `delay` seconds. */
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    const d = checkDelay("callLater()", delay);
    checkFunction("callLater()", callback);
    if (this._closed) throw loopClosed("callLater() was called");
    const handle = this._at(this.time() + d, callback, args);
    handle._context = captureCaller();
    return handle;
  }

  /** Schedules `callback(...args)` at `when`, a time on this loop's clock (see `time()`). */
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    const w = checkWhen("callAt()", when);
    if (w === null) throw new TypeError("callAt() expects a deadline in loop seconds: received null");
    checkFunction("callAt()", callback);
    if (this._closed) throw loopClosed("callAt() was called");
    const handle = this._at(w, callback, args);
    handle._context = captureCaller();
    return handle;
  }

  /** @internal `callSoon()` for the library's own callbacks: no caller's context to capture. */
  _callSoon(callback: () => void): Handle {
    const handle = new Handle(callback, []);
    this._soon(runHandle, handle);
    return handle;
  }

  /** @internal `callAt()` for the library's own callbacks (validated by the caller): no context to capture. */
  _callAt(when: number, callback: () => void): TimerHandle {
    return this._at(when, callback, []);
  }

  /** A new pending Future bound to this loop. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>(this);
  }

  /** Starts `fn` in a new task on this loop (it begins on the next batch) and returns the task. */
  createTask<T>(fn: () => PromiseLike<T> | T, options?: TaskOptions): Task<T> {
    checkFunction("createTask()", fn, "Pass the async function itself: createTask(() => work()) or createTask(work).");
    checkOptions("createTask()", options);
    if (this._closed) throw loopClosed("createTask() was called");
    const factory = this.taskFactory;
    if (factory === null) return new Task<T>(fn, this, options);
    const task = factory(this, fn, options);
    if (!(task instanceof Task)) {
      throw new TypeError(`the loop's task factory must return a Task: received ${task === null ? "null" : typeof task}`);
    }
    return task;
  }

  /**
   * Sets what `createTask()` uses to make tasks (asyncio's `set_task_factory`); null restores the
   * default. `loop.setTaskFactory(eagerTaskFactory)` starts every task eagerly.
   */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null && typeof factory !== "function") {
      throw new TypeError(`setTaskFactory() expects a function or null: received ${typeof factory}`);
    }
    this.taskFactory = factory;
  }

  /** The task factory set with `setTaskFactory()`, or null for the default. */
  getTaskFactory(): TaskFactory | null {
    return this.taskFactory;
  }

  /**
   * Runs `fn(...args)` on `executor` (this loop's default ThreadPoolExecutor if null) and returns
   * the Future of its result; see `runInExecutor()` in src/executors.
   */
  runInExecutor<A extends unknown[], R>(executor: Executor | null, fn: Work<A, R>, ...args: A): Future<Awaited<R>> {
    if (executorRunner === null) throw new Error("asyncio-ts: the executors module was not loaded");
    return executorRunner(this, executor, fn, args) as Future<Awaited<R>>;
  }

  /**
   * Runs `callback(...args)` on this loop (like `callSoon`) each time `signal` arrives, replacing
   * its default action and any handler this loop had for it (see src/kernel/signals.ts).
   * @throws RangeError for an unknown signal, SIGKILL or SIGSTOP; TypeError if `callback` is not a function.
   * @example
   * getRunningLoop().addSignalHandler("SIGTERM", () => mainTask.cancel("SIGTERM"));
   */
  addSignalHandler<A extends unknown[]>(signal: SignalName, callback: (...args: A) => unknown, ...args: A): void {
    addSignalHandler(this, signal, callback, args);
  }

  /** Removes this loop's handler for `signal`, restoring its default action; returns whether there was one. */
  removeSignalHandler(signal: SignalName): boolean {
    return removeSignalHandler(this, signal);
  }

  /**
   * Sets the function `callExceptionHandler()` calls with `(loop, context)`: errors thrown by loop
   * callbacks, task failures nobody retrieved, tasks still pending when `run()` ends, and debug
   * reports. `null` restores the default (`defaultExceptionHandler`, which writes to stderr). An
   * error thrown by the handler itself is reported by the default handler.
   *
   * @throws TypeError if `handler` is neither a function nor null.
   * @example
   * getRunningLoop().setExceptionHandler((loop, context) => {
   *   console.error("asyncio:", context.message, context.exception);
   * });
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError(`setExceptionHandler() expects a function or null: received ${typeof handler}`);
    }
    this._exceptionHandler = handler;
  }

  /** The handler given to `setExceptionHandler()`, or null while the default one is in use. */
  getExceptionHandler(): ExceptionHandler | null {
    return this._exceptionHandler;
  }

  /** Reports `context` through the handler set by `setExceptionHandler`, or to stderr. */
  callExceptionHandler(context: ExceptionContext): void {
    // Checked here, where the caller made the mistake, not as a property read failing in the handler.
    if (typeof context !== "object" || context === null) {
      throw new TypeError(`callExceptionHandler() expects a context object ({ message, exception?, ... }): received ${describe(context)}`);
    }
    const handler = this._exceptionHandler;
    if (handler === null) {
      this.defaultExceptionHandler(context);
      return;
    }
    try {
      handler(this, context);
    } catch (error) {
      this.defaultExceptionHandler({ message: "Unhandled error in exception handler", exception: error, context });
    }
  }

  /** Writes the context to stderr: the message, then the error's stack. */
  defaultExceptionHandler(context: ExceptionContext): void {
    const lines = [context.message];
    for (const [key, value] of Object.entries(context)) {
      if (key === "message" || key === "exception") continue;
      lines.push(`${key}: ${typeof value === "string" ? value : inspect(value, { depth: 1 })}`);
    }
    if ("exception" in context) {
      const error = context.exception;
      lines.push(error instanceof Error && error.stack !== undefined ? error.stack : inspect(error));
    }
    process.stderr.write(`asyncio-ts: ${lines.join("\n")}\n`);
  }

  /**
   * Whether debug mode is on: from `run(main, { debug })`, `setDebug()`, or else the
   * `ASYNCIO_TS_DEBUG` environment variable (any value but empty, `0` or `false`) read when the
   * loop was created.
   */
  getDebug(): boolean {
    return this._debug;
  }

  /** Debug mode: slow synchronous stretches reported with the task's name, creation stacks recorded. */
  setDebug(enabled: boolean): void {
    const on = Boolean(enabled);
    // A closed loop no longer counts among the debug loops (see _close).
    if (on !== this._debug && !this._closed) debugEnabled(on, this);
    this._debug = on;
  }

  /**
   * Whether the loop is closed: `run()` closes its loop (a `Runner`, at `close()`) once every task
   * is done, dropping timers and callbacks still scheduled, as asyncio's `loop.close()` does.
   * Scheduling on a closed loop (`callSoon`, `callLater`, `callAt`, `createTask`) throws.
   */
  isClosed(): boolean {
    return this._closed;
  }

  /**
   * @internal Closes the loop (asyncio's `loop.close()`, called by `Runner.close()` after the
   * tasks are done and the close hooks ran): drops the timers and ready callbacks left, so nothing
   * of this loop runs later or keeps the process alive, and releases the clock.
   */
  _close(): void {
    if (this._closed) return;
    this._closed = true;
    this.ready = [];
    this.spare = [];
    // A batch already scheduled finds the queue empty; the next _soon() sees the loop closed.
    this.batchScheduled = false;
    for (const timer of this.timers.items) timer._onCancel = null; // their cancel() must not count here
    this.timers.items = [];
    this.liveTimers = 0;
    this.cancelledTimers = 0;
    this.armedFor = Infinity;
    this._clock.disarm();
    this._clock.close?.();
    if (this._debug) debugEnabled(false, this); // the async_hooks hook goes with the last debug loop
  }

  /** ClockHost: no ready callback is waiting to run. */
  isIdle(): boolean {
    return this.ready.length === 0 && !this.running;
  }

  /** @internal Queue `callback(arg)` for the next batch without allocating a Handle. */
  _soon<A>(callback: (arg: A) => void, arg: A): void {
    if (!this.batchScheduled) this.scheduleBatch();
    this.ready.push(callback, arg);
  }

  private scheduleBatch(): void {
    // Checked here rather than in every _soon(): a closed loop never has a batch scheduled.
    if (this._closed) throw loopClosed("a callback was scheduled");
    this.batchScheduled = true;
    // The immediate must not inherit the scheduling task's context: callbacks run in none.
    outsideTasks(scheduleImmediate, this);
  }

  /** @internal */
  _at(when: number, callback: (...args: never[]) => unknown, args: readonly unknown[]): TimerHandle {
    if (this._closed) throw loopClosed("a timer was scheduled");
    const handle = new TimerHandle(when, this.timerSeq++, callback, args, this.onTimerCancel);
    this.timers.push(handle);
    this.liveTimers++;
    if (when < this.armedFor) {
      this.armedFor = when;
      this._clock.arm(when, this.wake);
    }
    return handle;
  }

  /** @internal Moves every due timer to the ready queue, then re-arms the clock. */
  _onTimer(): void {
    const now = this._clock.now();
    const timers = this.timers;
    for (let top = timers.peek(); top !== undefined && top.deadline <= now; top = timers.peek()) {
      timers.pop();
      if (top._cancelled) {
        this.cancelledTimers--;
        continue;
      }
      top._onCancel = null;
      this.liveTimers--;
      this._soon(runHandle, top);
    }
    this.armNext();
  }

  private armNext(): void {
    const timers = this.timers;
    let top = timers.peek();
    while (top !== undefined && top._cancelled) {
      timers.pop();
      this.cancelledTimers--;
      top = timers.peek();
    }
    if (top === undefined) {
      this.armedFor = Infinity;
      this._clock.disarm();
    } else {
      this.armedFor = top.deadline;
      this._clock.arm(top.deadline, this.wake);
    }
  }

  /** @internal Runs the callbacks that were ready when the batch began. */
  _runReady(): void {
    this._batchSeq = nextWaitSeq();
    const batch = this.beginBatch();
    const previous = enterCallbacks(this);
    const n = batch.length;
    batchStarted();
    if (this._debug) this.runTimed(batch, n);
    else {
      for (let i = 0; i < n; i += 2) {
        try {
          (batch[i] as Callback)(batch[i + 1] as never);
        } catch (error) {
          this.callExceptionHandler({ message: "Exception in callback", exception: error });
        }
      }
    }
    enterCallbacks(previous);
    batchEnded();
    this.endBatch(batch);
  }

  /** Takes the ready queue as this batch; what the batch schedules goes to the other buffer. */
  private beginBatch(): unknown[] {
    this.batchScheduled = false;
    const batch = this.ready;
    this.ready = this.spare;
    this.running = true;
    return batch;
  }

  private endBatch(batch: unknown[]): void {
    this.running = false;
    batch.length = 0;
    this.spare = batch;
    if (this.ready.length > 0 && !this.batchScheduled) this.scheduleBatch();
  }

  /** Debug mode's batch: times each callback and reports the slow ones, naming the task. */
  private runTimed(batch: unknown[], n: number): void {
    for (let i = 0; i < n; i += 2) {
      const callback = batch[i] as Callback;
      const arg = batch[i + 1];
      const started = performance.now();
      try {
        callback(arg as never);
      } catch (error) {
        this.callExceptionHandler({ message: "Exception in callback", exception: error });
      }
      const seconds = (performance.now() - started) / 1000;
      if (seconds >= this._slowCallbackDuration) {
        const task = taskStartedBy(callback, arg);
        const what = callback === (runHandle as Callback) ? `Callback ${(arg as Handle)._callback.name || "(anonymous)"}` : undefined;
        reportSlow(this, seconds, task, undefined, what);
      }
    }
    markBatchTimed();
  }

  /** @internal Number of timers still scheduled (not cancelled, not fired). */
  _pendingTimers(): number {
    return this.liveTimers;
  }

  [inspect.custom](): string {
    return `<Loop tasks=${this._tasks.size} ready=${this.ready.length / 2} timers=${this.liveTimers} debug=${this._debug}>`;
  }
}

function isDebugFromEnv(): boolean {
  const value = process.env["ASYNCIO_TS_DEBUG"];
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

setLoopFactory(() => new Loop());
