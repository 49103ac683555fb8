/**
 * ThreadPoolExecutor: an executor whose workers are `worker_threads`. Cheap to start (tens of ms),
 * shares memory through SharedArrayBuffer and moves ArrayBuffers with `transfer()`. Each thread
 * has its own heap; `resourceLimits` caps it, and a thread that runs out of memory fails only its
 * job. Use it for CPU-heavy JavaScript and for blocking calls that would stall the event loop.
 */
import { availableParallelism } from "node:os";
import { Worker, type ResourceLimits, type TransferListItem, type WorkerOptions } from "node:worker_threads";
import { describe } from "../kernel/validate.js";
import { threadSetup, tsxApi } from "./entry.js";
import { WorkerDiedError } from "./errors.js";
import { Executor, type ExecutorOptions, type PoolWorker } from "./pool.js";
import type { JobMessage, ReplyMessage } from "./wire.js";


/**
 * Options of `new ThreadPoolExecutor()`: `maxWorkers` (see ExecutorOptions) and how each worker
 * thread is started.
 *
 * @example
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 4, resourceLimits: { maxOldGenerationSizeMb: 256 } });
 */
export interface ThreadPoolExecutorOptions extends ExecutorOptions {
  /** Heap limits for each worker thread (see `worker_threads` `resourceLimits`). */
  resourceLimits?: ResourceLimits | undefined;
  /** Node options for the workers; default: the parent's `process.execArgv` (a tsx loader is registered lazily instead, see fromModule). */
  execArgv?: string[] | undefined;
  /** The workers' `process.env`; default: a copy of the parent's. */
  env?: NodeJS.ProcessEnv | undefined;
}


/** Flags of the parent's execArgv that worker threads refused (per-process options). */
const refusedFlags = new Set<string>();

/**
 * Starts a Worker; an explicit execArgv is checked by Node, which refuses per-process options
 * (e.g. `--v8-pool-size`, `--secure-heap`, which some Node launchers put in execArgv). Those are
 * dropped, remembered, and the start retried once, instead of failing every job.
 */
function startWorker(target: string | URL, options: WorkerOptions): Worker {
  const argv = options.execArgv?.filter((flag) => !refusedFlags.has(flag));
  try {
    return new Worker(target, argv === undefined ? options : { ...options, execArgv: argv });
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_WORKER_INVALID_EXEC_ARGV" || argv === undefined) throw error;
    const message = (error as Error).message;
    for (const flag of argv) if (message.includes(flag)) refusedFlags.add(flag);
    return new Worker(target, { ...options, execArgv: argv.filter((flag) => !refusedFlags.has(flag)) });
  }
}

class ThreadWorker implements PoolWorker {
  job: PoolWorker["job"] = null;
  readonly known = new Set<number>();
  sent = 0;
  /** The thread counts here the job messages it takes (see receipts.ts). */
  private readonly receipts = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private busy = true;
  private uncaught: unknown = undefined;
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(pool: ThreadPoolExecutor, options: ThreadPoolExecutorOptions) {
    const { entry, execArgv } = threadSetup();
    const argv = options.execArgv ?? execArgv;
    this.worker = startWorker("code" in entry ? entry.code : entry.url, {
      eval: "code" in entry,
      workerData: { tsxApi: tsxApi(), receipts: this.receipts },
      ...(options.resourceLimits !== undefined ? { resourceLimits: options.resourceLimits } : {}),
      ...(argv !== undefined ? { execArgv: argv } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
    });
    this.worker.on("message", (message: ReplyMessage) => pool._onReply(this, message));
    this.worker.on("error", (error: unknown) => {
      this.uncaught = error;
    });
    this.exit = new Promise<void>((resolve) => {
      this.worker.once("exit", (code: number) => {
        this.exited = true;
        resolve();
        pool._onExit(this, this.deathError(code));
      });
    });
  }

  received(): number {
    return Atomics.load(this.receipts, 0);
  }

  send(message: JobMessage, transferList: TransferListItem[] | undefined): void {
    this.worker.postMessage(message, transferList);
  }

  setBusy(busy: boolean): void {
    if (busy === this.busy) return;
    this.busy = busy;
    if (busy) this.worker.ref();
    else this.worker.unref();
  }

  kill(): Promise<void> {
    this.setBusy(true); // an unref'd worker's exit event could otherwise be lost when the loop empties
    if (!this.exited) void this.worker.terminate(); // settles with the exit code; `exit` is what we wait for
    return this.exit;
  }

  private deathError(code: number): WorkerDiedError {
    const error = this.uncaught;
    if (error !== undefined) {
      const e = error as { code?: unknown; name?: unknown; message?: unknown };
      if (e.code === "ERR_WORKER_OUT_OF_MEMORY") {
        return new WorkerDiedError(
          `The worker thread running this job died: it ran out of memory (${String(e.message)}); the pool replaces it`,
          { exitCode: code, cause: error },
        );
      }
      return new WorkerDiedError(
        `The worker thread running this job died of an uncaught exception outside the job's own call ` +
          `(${String(e.name)}: ${String(e.message)}); the pool replaces it`,
        { exitCode: code, cause: error },
      );
    }
    return new WorkerDiedError(`The worker thread running this job died (exit code ${code}); the pool replaces it`, { exitCode: code });
  }
}

/**
 * A pool of `worker_threads` (Python's `ThreadPoolExecutor`, but the threads run JavaScript in
 * parallel). `maxWorkers` defaults to `os.availableParallelism()`. Workers start on demand and are
 * reused; a cancelled running job terminates its thread, and a crashed thread fails only its job.
 *
 * On Deno (2.9) a thread cannot be stopped inside synchronous code: `Worker.terminate()` there does
 * not interrupt running JavaScript. A cancelled job's future is cancelled at once and its worker
 * replaced, but the old thread runs on until the job returns or reaches an `await`, where it stops.
 * Use `ProcessPoolExecutor` for work that must stop when cancelled on every runtime.
 *
 * @throws RangeError if maxWorkers is not a positive integer; TypeError for a non-object options.
 * @example
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const total = await pool.submit((n: number) => { let s = 0; for (let i = 0; i < n; i++) s += i * i; return s; }, 1e7);
 * // A per-job time limit: the job is stopped, not just abandoned.
 * await waitFor(pool.submit(slowFn, input), 2.0);
 */
export class ThreadPoolExecutor extends Executor {
  /** @internal */ protected readonly _movesTransfers = true;
  private readonly options: ThreadPoolExecutorOptions;

  constructor(options: ThreadPoolExecutorOptions = {}) {
    super("ThreadPoolExecutor", options, availableParallelism());
    const { execArgv } = options;
    if (execArgv !== undefined && (!Array.isArray(execArgv) || execArgv.some((a) => typeof a !== "string"))) {
      throw new TypeError(`new ThreadPoolExecutor() expects execArgv to be an array of strings: received ${describe(execArgv)}`);
    }
    this.options = { ...options };
  }

  /** @internal */
  protected _spawn(): PoolWorker {
    return new ThreadWorker(this, this.options);
  }
}
