/**
 * The pool core shared by ThreadPoolExecutor and ProcessPoolExecutor: a FIFO job queue, up to
 * `maxWorkers` workers started on demand and reused, and the rules for cancellation and crashes.
 *
 * Invariants:
 * - A job is an `ExecutorFuture`; it is queued (`_worker === null`) or running on exactly one
 *   worker (`worker.job === future`), until it is done.
 * - Each worker runs one job at a time; when it replies, it takes the next live queued job at
 *   once (before the finished job's future settles), so a busy pool never waits on the loop.
 * - Cancelling a queued job leaves a dead entry in the queue, skipped when reached (O(1) cancel).
 *   Cancelling a running job terminates its worker (the only way to stop synchronous code); a
 *   new worker for the next queued job starts in a later turn of Node's loop (see _onCancel).
 *   A worker that dies fails only the job it ran. A job it was sent but had not taken (it died
 *   between jobs, before the pool heard of it) runs on a fresh worker instead, once (receipts.ts).
 * - FIFO: while jobs are queued, a new job queues behind them, even when a worker slot is free
 *   (a replacement is then on its way: queued > 0 implies a full pool or a refill scheduled).
 * - Idle workers are unref'd, so a pool nobody shut down does not keep the process alive;
 *   a worker with a job keeps it alive.
 */
import type { TransferListItem } from "node:worker_threads";
import { InvalidStateError } from "../errors.js";
import { currentLoop } from "../kernel/context.js";
import { Future } from "../kernel/future.js";
import type { Loop } from "../kernel/loop.js";
import { checkOptions, describe } from "../kernel/validate.js";
import { WorkerDiedError } from "./errors.js";
import { isTransferMarker } from "./transfer.js";
import { errorFromReply, OK, type JobMessage, type ReplyMessage } from "./wire.js";
import { toWork, type ModuleFunction, type WorkDef } from "./work.js";

/** What an executor runs: a self-contained function, or `fromModule(url, name)`. */
export type Work<A extends unknown[] = unknown[], R = unknown> = ((...args: A) => R) | ModuleFunction<(...args: A) => R>;

/** Options shared by `new ThreadPoolExecutor()` and `new ProcessPoolExecutor()`. */
export interface ExecutorOptions {
  /** The most workers alive at once (a positive integer); default `os.availableParallelism()`. */
  maxWorkers?: number | undefined;
}

/**
 * Options of `Executor.shutdown()`. Running jobs are never stopped by a shutdown; to stop one,
 * cancel its future.
 *
 * @example
 * await pool.shutdown({ cancelFutures: true }); // drop queued jobs, wait for running ones
 */
export interface ShutdownOptions {
  /** Wait until every submitted job has finished and the workers have exited (default true). */
  wait?: boolean | undefined;
  /** Cancel the jobs that have not started (default false); running jobs finish. */
  cancelFutures?: boolean | undefined;
}

/** Options of `Executor.map()`. */
export interface MapOptions {
  /** How many jobs may be submitted and not yet yielded at once; default `2 * maxWorkers`. */
  bufferSize?: number | undefined;
}

/** @internal One worker, as the pool sees it; ThreadPoolExecutor and ProcessPoolExecutor implement it. */
export interface PoolWorker {
  /** The job it runs, or null when idle. */
  job: ExecutorFuture<unknown> | null;
  /** Ids of the work this worker has already been sent (and cached). */
  readonly known: Set<number>;
  /** How many jobs the pool has sent it. */
  sent: number;
  /**
   * How many of them it received, as the worker itself recorded (see receipts.ts); read only
   * after it has exited. Infinity when it cannot tell: then no job is run twice on a guess.
   */
  received(): number;
  /** Sends a job; throws if the message cannot be cloned. */
  send(message: JobMessage, transferList: TransferListItem[] | undefined): void;
  /** Keeps the process alive (busy) or not (idle). */
  setBusy(busy: boolean): void;
  /** Ends the worker at once; resolves once it has exited. */
  kill(): Promise<void>;
}

const OPEN = 0;
const SHUTTING_DOWN = 1;
const CLOSED = 2;

const NO_ARGS: unknown[] = [];

function refillLater(pool: Executor): void {
  pool._refillNow();
}

/**
 * The Future of one job: `cancel()` also drops the job from the queue or stops it in its worker.
 * Awaiting it from a task makes it the task's waiter, so cancelling the task cancels it.
 */
class ExecutorFuture<T> extends Future<T> {
  /** @internal */ _pool: Executor | null;
  /** @internal */ _work: WorkDef;
  /** @internal */ _args: unknown[];
  /** @internal */ _transfer: TransferListItem[] | undefined = undefined;
  /** @internal The worker running it, or null while queued. */
  _worker: PoolWorker | null = null;
  /** @internal Sent again after its first worker died before taking it. */
  _resent = false;

  constructor(loop: Loop, pool: Executor, work: WorkDef, args: unknown[]) {
    super(loop);
    this._pool = pool;
    this._work = work;
    this._args = args;
  }

  override cancel(message?: string): boolean {
    if (!this._cancelFuture(message)) return false;
    this._pool?._onCancel(this);
    return true;
  }

  override get [Symbol.toStringTag](): string {
    return "Future";
  }
}

function checkMaxWorkers(where: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(`${where} expects maxWorkers to be a positive integer: received ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${where} expects maxWorkers to be a positive integer: received ${String(value)}`);
  }
  return value;
}

/** Unwraps `transfer()` markers among the top-level arguments (in place); returns the transfer list. */
function takeTransfers(args: unknown[]): TransferListItem[] | undefined {
  let list: TransferListItem[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (isTransferMarker(arg)) {
      args[i] = arg.value;
      list = list === undefined ? [...arg.list] : list.concat(arg.list);
    }
  }
  return list;
}

/**
 * @internal The options of every executor's `shutdown()` (the pools' and RedisExecutor's), with
 * their defaults. Checked like Queue.shutdown(immediate): a truthy non-boolean is a mistake, not
 * a yes.
 * @throws TypeError at once if `options` is not an object or `wait`/`cancelFutures` is not a boolean.
 */
export function checkShutdownOptions(where: string, options: ShutdownOptions): Required<ShutdownOptions> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${where} expects an options object: received ${describe(options)}`);
  }
  const { wait = true, cancelFutures = false } = options;
  if (typeof wait !== "boolean") throw new TypeError(`${where} expects options.wait to be a boolean: received ${describe(wait)}`);
  if (typeof cancelFutures !== "boolean") {
    throw new TypeError(`${where} expects options.cancelFutures to be a boolean: received ${describe(cancelFutures)}`);
  }
  return { wait, cancelFutures };
}

/**
 * The base of ThreadPoolExecutor and ProcessPoolExecutor (Python's `concurrent.futures.Executor`).
 * Not constructed directly.
 */
export abstract class Executor {
  /** The most workers alive at once. */
  readonly maxWorkers: number;
  /** @internal */ readonly _kind: string;
  private readonly queue: Array<ExecutorFuture<unknown>> = [];
  private queueHead = 0;
  /** Live (not cancelled) queued jobs. */
  private queued = 0;
  private running = 0;
  private readonly workers = new Set<PoolWorker>();
  private readonly idle: PoolWorker[] = [];
  private readonly exiting = new Set<Promise<void>>();
  private state: typeof OPEN | typeof SHUTTING_DOWN | typeof CLOSED = OPEN;
  private closing: Promise<void> | null = null;
  private drainWaiters: Array<() => void> = [];
  private refillScheduled = false;

  protected constructor(kind: string, options: ExecutorOptions | undefined, defaultWorkers: number) {
    const where = `new ${kind}()`;
    checkOptions(where, options);
    this._kind = kind;
    this.maxWorkers = checkMaxWorkers(where, options?.maxWorkers, defaultWorkers);
  }

  /** @internal Starts one worker. */
  protected abstract _spawn(): PoolWorker;

  /** @internal Whether sending a job moves its `transfer()` buffers (threads) rather than copying them (processes). */
  protected abstract readonly _movesTransfers: boolean;

  /**
   * Schedules `fn(...args)` on a worker and returns the Future of its result. Arguments and the
   * result are structured-cloned (wrap an ArrayBuffer in `transfer()` to move it instead).
   * Cancelling the future (or the task awaiting it, or a `waitFor`/`timeout` around it) drops the
   * job if it has not started, and stops it if it has: its worker is terminated and replaced.
   *
   * @throws TypeError if `fn` cannot be sent to a worker (not a function, native, bound, a class or
   * a method); InvalidStateError if the executor was shut down.
   * @example
   * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
   * const n = await pool.submit((a: number, b: number) => a * b, 6, 7); // 42
   */
  submit<A extends unknown[], R>(fn: Work<A, R>, ...args: A): Future<Awaited<R>> {
    this.checkOpen("submit()");
    const work = toWork(`${this._kind}.submit()`, fn);
    return this._submitWork(currentLoop(), work, args) as Future<Awaited<R>>;
  }

  /** @internal runInExecutor: submit on behalf of `loop`. */
  _submitFrom(where: string, loop: Loop, fn: unknown, args: unknown[]): Future<unknown> {
    this.checkOpen(where);
    return this._submitWork(loop, toWork(where, fn), args);
  }

  /**
   * Runs `fn(item)` for every item of `items` (an iterable or async iterable) on the pool and
   * yields the results in the order of the items, with at most `bufferSize` jobs submitted and
   * not yet yielded (so a long or endless source is read as results are consumed). If a job
   * fails, the error is thrown at its place; leaving the loop early (break, throw, cancellation)
   * cancels the jobs still in flight.
   *
   * @throws TypeError/RangeError at once for a bad `fn`, iterable or bufferSize; InvalidStateError after shutdown.
   * @example
   * for await (const square of pool.map((x: number) => x * x, [1, 2, 3])) console.log(square);
   * const all: number[] = [];
   * for await (const result of pool.map(work, items)) all.push(result);
   */
  map<T, R>(fn: Work<[T], R>, items: Iterable<T> | AsyncIterable<T>, options?: MapOptions): AsyncGenerator<Awaited<R>, void, undefined> {
    const where = `${this._kind}.map()`;
    this.checkOpen("map()");
    const work = toWork(where, fn);
    const isAsync = typeof (items as AsyncIterable<T> | null)?.[Symbol.asyncIterator] === "function";
    if (!isAsync && typeof (items as Iterable<T> | null)?.[Symbol.iterator] !== "function") {
      throw new TypeError(`${where} expects an iterable or async iterable of items: received ${describe(items)}`);
    }
    checkOptions(where, options, "{ bufferSize: 8 }");
    const size = options?.bufferSize ?? 2 * this.maxWorkers;
    // A wrong type is a TypeError, a number out of range a RangeError, as everywhere else.
    if (typeof size !== "number") throw new TypeError(`${where} expects bufferSize to be a positive integer: received ${describe(size)}`);
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`${where} expects bufferSize to be a positive integer: received ${describe(size)}`);
    }
    return this.mapJobs<T, Awaited<R>>(currentLoop(), work, items, isAsync, size);
  }

  private async *mapJobs<T, R>(
    loop: Loop,
    work: WorkDef,
    items: Iterable<T> | AsyncIterable<T>,
    isAsync: boolean,
    bufferSize: number,
  ): AsyncGenerator<R, void, undefined> {
    const iterator = isAsync ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
    const window: Array<Future<unknown>> = [];
    let exhausted = false;
    const fill = async (): Promise<void> => {
      while (!exhausted && window.length < bufferSize) {
        const step = await iterator.next();
        if (step.done === true) {
          exhausted = true;
          return;
        }
        this.checkOpen("map()");
        window.push(this._submitWork(loop, work, [step.value]));
      }
    };
    try {
      await fill();
      while (window.length > 0) {
        const value = (await (window[0] as Future<unknown>)) as R;
        void window.shift();
        await fill();
        yield value;
      }
    } finally {
      for (const future of window) future.cancel();
      if (!exhausted) await iterator.return?.();
    }
  }

  /**
   * Stops accepting work. With `cancelFutures`, jobs not yet started are cancelled. With `wait`
   * (the default), resolves once every remaining job has finished and the workers have exited;
   * without it, returns at once and the workers exit when the remaining jobs are done.
   * Calling it again is harmless. Waiting is cancellable like any library wait: cancelling the
   * task that awaits it stops the wait at once (the pool still shuts down, and running jobs still
   * finish), where `await using` on a pool whose job never ends would otherwise hang its task.
   *
   * @throws TypeError at once if `options` is not an object or `wait`/`cancelFutures` is not a boolean.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { wait, cancelFutures } = checkShutdownOptions(`${this._kind}.shutdown()`, options);
    if (this.state === OPEN) this.state = SHUTTING_DOWN;
    if (cancelFutures) {
      for (let i = this.queueHead; i < this.queue.length; i++) this.queue[i]?.cancel();
    }
    this.maybeClose();
    return wait ? this.whenClosed() : Promise.resolve();
  }

  /** `await using pool = new ThreadPoolExecutor()`: `shutdown({ wait: true })` at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ wait: true });
  }

  /** Counts for tests and introspection. */
  statistics(): { workers: number; idle: number; running: number; queued: number; shutdown: boolean } {
    return { workers: this.workers.size, idle: this.idle.length, running: this.running, queued: this.queued, shutdown: this.state !== OPEN };
  }

  /** @internal */
  _submitWork(loop: Loop, work: WorkDef, args: unknown[]): Future<unknown> {
    const future = new ExecutorFuture<unknown>(loop, this, work, args);
    future._transfer = takeTransfers(args);
    const worker = this.queued > 0 ? null : (this.idle.pop() ?? this.spawnIfRoom(future));
    if (worker === null) {
      if (!future.done()) {
        this.queue.push(future);
        this.queued++;
      }
    } else {
      this.start(worker, future);
    }
    return future;
  }

  /** @internal A worker replied to its job. */
  _onReply(worker: PoolWorker, message: ReplyMessage): void {
    if (!this.workers.has(worker)) return; // a late reply from a worker retired after its job was cancelled
    const future = worker.job;
    worker.job = null;
    if (future !== null) {
      this.running--;
      future._worker = null;
      future._args = NO_ARGS;
      future._transfer = undefined;
    }
    // Hand the worker its next job before settling this one: it need not wait for the loop.
    this.next(worker);
    if (future === null || future.done()) return;
    future._pool = null;
    if (message[0] === OK) future.setResult(message[1]);
    else future.setException(errorFromReply(message[0], message[1]));
  }

  /** @internal A worker exited on its own (crash, exit, out of memory, signal). */
  _onExit(worker: PoolWorker, error: WorkerDiedError): void {
    if (!this.workers.delete(worker)) return; // one we retired on purpose
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    const future = worker.job;
    worker.job = null;
    if (future !== null) {
      this.running--;
      future._worker = null;
      if (!future.done()) {
        if (worker.received() >= worker.sent) this.fail(future, error);
        else this.untaken(future, error);
      }
    }
    this.refill();
    this.maybeClose();
  }

  /** A job whose worker died before taking it: it never ran, so it goes first in the queue, once. */
  private untaken(future: ExecutorFuture<unknown>, death: WorkerDiedError): void {
    if (future._transfer !== undefined && this._movesTransfers) {
      const message =
        `The worker this job was sent to died before it took this job (${death.message}); the job did not run, ` +
        "but the buffers it transferred went with that worker, so it could not be sent again";
      this.fail(future, new WorkerDiedError(message, { exitCode: death.exitCode, signal: death.signal, cause: death }));
      return;
    }
    if (future._resent) {
      // Two workers in a row died before taking it: they cannot start, or something kills them.
      this.fail(future, death);
      return;
    }
    future._resent = true;
    if (this.queueHead > 0) this.queue[--this.queueHead] = future;
    else this.queue.unshift(future);
    this.queued++;
  }

  private fail(future: ExecutorFuture<unknown>, error: unknown): void {
    future._pool = null;
    future._args = NO_ARGS;
    future._transfer = undefined;
    future.setException(error);
  }

  /** @internal A job's future was cancelled. */
  _onCancel(future: ExecutorFuture<unknown>): void {
    future._pool = null;
    const worker = future._worker;
    if (worker === null) {
      this.queued--; // its queue entry is skipped when reached
      future._args = NO_ARGS;
    } else {
      // Synchronous code cannot be interrupted: terminate the worker. Its replacement starts in a
      // later turn, for the jobs still queued then: cancels come in storms (a task group failing,
      // a caller cancelling its jobs in submission order), and a worker started here for the next
      // queued job would be killed again by the next cancel, each start blocking the loop.
      future._worker = null;
      future._args = NO_ARGS;
      future._transfer = undefined;
      worker.job = null;
      this.running--;
      this.retire(worker);
      if (this.queued > 0 && !this.refillScheduled) {
        this.refillScheduled = true;
        setImmediate(refillLater, this);
      }
    }
    this.maybeClose();
  }

  /** @internal The refill scheduled by a cancel. */
  _refillNow(): void {
    this.refillScheduled = false;
    this.refill();
  }

  private checkOpen(where: string): void {
    if (this.state !== OPEN) {
      throw new InvalidStateError(`${where} cannot schedule new work: this ${this._kind} was shut down`);
    }
  }

  private spawnIfRoom(future: ExecutorFuture<unknown>): PoolWorker | null {
    if (this.workers.size >= this.maxWorkers) return null;
    let worker: PoolWorker;
    try {
      worker = this._spawn();
    } catch (error) {
      future._pool = null;
      future.setException(error);
      return null;
    }
    this.workers.add(worker);
    return worker;
  }

  private start(worker: PoolWorker, future: ExecutorFuture<unknown>): void {
    const work = future._work;
    const known = worker.known.has(work.id);
    const message: JobMessage = known ? [work.id, future._args] : [work.id, future._args, work.wire];
    worker.job = future;
    future._worker = worker;
    this.running++;
    try {
      worker.send(message, future._transfer);
    } catch (error) {
      worker.job = null;
      future._worker = null;
      future._pool = null;
      this.running--;
      const why = new TypeError(
        `${this._kind} could not send the job's arguments to a worker (they must be structured-cloneable): ${(error as Error).message}`,
        { cause: error },
      );
      this.next(worker);
      future.setException(why);
      return;
    }
    if (!known) worker.known.add(work.id);
    worker.sent++;
    // The arguments stay with the future until it settles: a job whose worker died before taking it is sent again.
    worker.setBusy(true);
  }

  /** Gives an idle worker the next live queued job, or parks it. */
  private next(worker: PoolWorker): void {
    const future = this.dequeue();
    if (future !== undefined) {
      this.start(worker, future);
      return;
    }
    if (!this.workers.has(worker)) return;
    worker.setBusy(false);
    this.idle.push(worker);
    this.maybeClose();
  }

  private dequeue(): ExecutorFuture<unknown> | undefined {
    const queue = this.queue;
    while (this.queueHead < queue.length) {
      const future = queue[this.queueHead] as ExecutorFuture<unknown>;
      queue[this.queueHead++] = undefined as never;
      if (!future.done()) {
        this.queued--;
        if (this.queueHead === queue.length) {
          queue.length = 0;
          this.queueHead = 0;
        } else if (this.queueHead > 1024 && this.queueHead * 2 > queue.length) {
          void queue.splice(0, this.queueHead); // drop the consumed head; the removed slots are empty
          this.queueHead = 0;
        }
        return future;
      }
    }
    queue.length = 0;
    this.queueHead = 0;
    return undefined;
  }

  /** Starts workers for queued jobs, up to maxWorkers. */
  private refill(): void {
    while (this.queued > 0 && this.workers.size < this.maxWorkers) {
      const future = this.dequeue();
      if (future === undefined) return;
      const worker = this.spawnIfRoom(future);
      if (worker !== null) this.start(worker, future);
    }
  }

  private retire(worker: PoolWorker): void {
    this.workers.delete(worker);
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    const exited = worker.kill();
    this.exiting.add(exited);
    void exited.then(() => this.exiting.delete(exited)); // kill() never rejects
  }

  /** Once shut down and drained: retire every worker, then wake shutdown() callers. */
  private maybeClose(): void {
    if (this.state !== SHUTTING_DOWN || this.running > 0 || this.queued > 0) return;
    this.state = CLOSED;
    for (const worker of [...this.workers]) this.retire(worker);
    this.closing = Promise.all([...this.exiting]).then(() => undefined);
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Resolves once closed and the workers have exited. The drain is awaited as a library Future, so
   * that a task cancelled while it waits here gets its CancelledError at once (a native promise
   * would hold the cancellation until every running job had finished).
   */
  private async whenClosed(): Promise<void> {
    if (this.state !== CLOSED) {
      const drained = currentLoop().createFuture<void>();
      this.drainWaiters.push(() => {
        if (!drained.done()) drained.setResult();
      });
      await drained;
    }
    await this.closing;
  }
}
