/**
 * Executors: run blocking or CPU-heavy work off the event loop, on worker threads
 * (`ThreadPoolExecutor`) or child processes (`ProcessPoolExecutor`), as `concurrent.futures` and
 * `loop.run_in_executor` do in Python, with cancellation that reaches the work.
 *
 * The mental model
 * - `pool.submit(fn, ...args)` returns the library's `Future`. Awaiting it in a task makes it what
 *   the task waits on, so `task.cancel()`, `future.cancel()`, `waitFor(job, s)` and
 *   `timeout(s, ...)` all cancel it: a queued job is dropped, a running one is stopped by
 *   terminating its worker (synchronous JavaScript cannot be interrupted any other way), and a new
 *   worker takes the next job. Cancelled work stops consuming CPU.
 * - `fn` crosses to another thread or process, so it is either a self-contained function (sent as
 *   source text; it cannot use variables of the scope it was written in, which fails the job with a
 *   ReferenceError that says so) or `fromModule(url, name)`, an exported function of a module file
 *   (imports, helpers and TypeScript welcome; TS needs the parent to run under tsx, see fromModule).
 * - Arguments and results are structured-cloned; `transfer(buffer)` moves an ArrayBuffer instead.
 * - A job that throws fails with the original error's name, message, stack and properties; a value
 *   that cannot be cloned back fails the job alone, with an error that says so. A worker that dies
 *   (process.exit, out of memory, process.abort(), a signal) fails only its job, with a
 *   `WorkerDiedError` saying how; the pool replaces the worker, and a job the worker had not taken
 *   yet runs on the replacement. Never a silent hang. Process workers die with the pool's process.
 * - Workers start on demand (up to `maxWorkers`) and are reused; idle workers do not keep the
 *   process alive. `shutdown()` (or `await using`) ends them; `run()` shuts down the loop's default
 *   executor used by `toThread` and `runInExecutor(null, ...)`.
 *
 * @example
 * await run(async () => {
 *   await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 *   const squares = (n: number) => { let s = 0; for (let i = 0; i < n; i++) s += i * i; return s; };
 *   const total = await pool.submit(squares, 1e7);
 *   // A per-job time limit: on timeout the job is stopped, then TimeoutError is thrown.
 *   try {
 *     await waitFor(pool.submit(squares, 1e12), 1.0);
 *   } catch (e) {
 *     if (!(e instanceof TimeoutError)) throw e;
 *   }
 *   for await (const s of pool.map(squares, [10, 20, 30])) console.log(s); // in order
 *   const text = await toThread((b: Uint8Array) => new TextDecoder().decode(b), transfer(bytes));
 * });
 */
export { defaultExecutor, runInExecutor, toThread } from "./default.js";
export { WorkerDiedError } from "./errors.js";
export { Executor, type ExecutorOptions, type MapOptions, type ShutdownOptions, type Work } from "./pool.js";
export { ProcessPoolExecutor, type ProcessPoolExecutorOptions } from "./processPool.js";
export { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from "./threadPool.js";
export { transfer } from "./transfer.js";
export { fromModule, ModuleFunction } from "./work.js";
