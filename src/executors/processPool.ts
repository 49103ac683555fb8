/**
 * ProcessPoolExecutor: an executor whose workers are child processes (`child_process.fork` with an
 * IPC channel using advanced serialization, so values are structured-cloned). Slower to start and
 * to talk to than threads, but fully isolated: a worker may crash, `process.abort()`, leak or load
 * native modules without touching the parent. `transfer()` is accepted and copies (no shared memory).
 */
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { describe } from "../kernel/validate.js";
import { processSetup, tsxApi } from "./entry.js";
import { WorkerDiedError } from "./errors.js";
import { Executor, type ExecutorOptions, type PoolWorker } from "./pool.js";
import { ReceiptFile, RECEIPTS_FD } from "./receipts.js";
import type { JobMessage, ReplyMessage } from "./wire.js";

/**
 * Options of `new ProcessPoolExecutor()`: `maxWorkers` (see ExecutorOptions) and how each child
 * process is started.
 */
export interface ProcessPoolExecutorOptions extends ExecutorOptions {
  /** Node options for the workers; default: the parent's `process.execArgv` without debugger, test, watch and eval flags (a tsx loader is registered lazily instead, see fromModule). */
  execArgv?: string[] | undefined;
  /** The workers' environment; default: the parent's `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
}

class ProcessWorker implements PoolWorker {
  job: PoolWorker["job"] = null;
  readonly known = new Set<number>();
  sent = 0;
  private readonly child: ChildProcess;
  private readonly receipts: ReceiptFile | null;
  private busy = true;
  private exited = false;
  private spawnError: Error | null = null;
  private readonly exit: Promise<void>;

  constructor(pool: ProcessPoolExecutor, options: ProcessPoolExecutorOptions) {
    const { file, execArgv } = processSetup();
    const receipts = ReceiptFile.create();
    try {
      // argv: [tsx API URL, receipts fd, the pool's pid] (processWorker.ts reads them)
      this.child = fork(file, [tsxApi() ?? "", receipts !== null ? String(RECEIPTS_FD) : "", String(process.pid)], {
        serialization: "advanced",
        execArgv: options.execArgv ?? execArgv,
        stdio: receipts !== null ? ["inherit", "inherit", "inherit", "ipc", receipts.fd] : ["inherit", "inherit", "inherit", "ipc"],
        ...(options.env !== undefined ? { env: options.env } : {}),
      });
    } catch (error) {
      receipts?.close();
      throw error;
    }
    receipts?.unlink(); // the child has its own descriptor now
    this.receipts = receipts;
    this.child.on("message", (message: ReplyMessage) => pool._onReply(this, message));
    this.exit = new Promise<void>((resolve) => {
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exited) return;
        this.exited = true;
        resolve();
        pool._onExit(this, this.deathError(code, signal));
        this.receipts?.close();
      };
      // 'close', not 'exit': it comes after the IPC channel has delivered its last message, so a
      // reply the worker sent just before dying is not lost ('exit' may come first).
      this.child.once("close", onExit);
      this.child.on("error", (error: Error) => {
        // Spawning failed (no exit event follows), or a message could not be delivered.
        this.spawnError ??= error;
        if (this.child.pid === undefined) onExit(null, null);
      });
    });
  }

  received(): number {
    return this.receipts === null ? Infinity : this.receipts.read();
  }

  send(message: JobMessage): void {
    this.child.send(message);
  }

  setBusy(busy: boolean): void {
    if (busy === this.busy) return;
    this.busy = busy;
    const channel = this.child.channel as { ref?: () => void; unref?: () => void } | null | undefined;
    if (busy) {
      this.child.ref();
      channel?.ref?.();
    } else {
      this.child.unref();
      channel?.unref?.();
    }
  }

  kill(): Promise<void> {
    this.setBusy(true); // an unref'd worker's exit event could otherwise be lost when the loop empties
    // SIGKILL: a job may have installed a SIGTERM handler, and a cancelled job must stop.
    if (!this.exited) this.child.kill("SIGKILL");
    return this.exit;
  }

  private deathError(code: number | null, signal: NodeJS.Signals | null): WorkerDiedError {
    if (this.spawnError !== null && this.child.pid === undefined) {
      return new WorkerDiedError(`The worker process for this job could not start (${this.spawnError.message})`, { cause: this.spawnError });
    }
    const how = signal !== null ? `killed by signal ${signal}` : `exit code ${String(code)}`;
    return new WorkerDiedError(`The worker process running this job died (${how}); the pool replaces it`, { exitCode: code, signal });
  }
}

/**
 * A pool of child processes (Python's `ProcessPoolExecutor`). `maxWorkers` defaults to
 * `os.availableParallelism()`. Workers start on demand and are reused; a cancelled running job
 * kills its process (SIGKILL), and a crashed process fails only its job. Workers die with the
 * pool's process, however it ends: a busy one within 0.25 s (each worker process runs a small
 * watchdog thread for this, about 9 MB).
 *
 * @throws RangeError if maxWorkers is not a positive integer; TypeError for a non-object options.
 * @example
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 4 });
 * const results = await gather(...inputs.map((x) => pool.submit(crunch, x)));
 */
export class ProcessPoolExecutor extends Executor {
  /** @internal */ protected readonly _movesTransfers = false;
  private readonly options: ProcessPoolExecutorOptions;

  constructor(options: ProcessPoolExecutorOptions = {}) {
    super("ProcessPoolExecutor", options, availableParallelism());
    const { execArgv } = options;
    if (execArgv !== undefined && (!Array.isArray(execArgv) || execArgv.some((a) => typeof a !== "string"))) {
      throw new TypeError(`new ProcessPoolExecutor() expects execArgv to be an array of strings: received ${describe(execArgv)}`);
    }
    this.options = { ...options };
  }

  /** @internal */
  protected _spawn(): PoolWorker {
    return new ProcessWorker(this, this.options);
  }
}
