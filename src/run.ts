import type { Clock } from "./kernel/clock.js";
import { storage } from "./kernel/context.js";
import { PENDING } from "./kernel/future.js";
import { checkLoopOptions, Loop } from "./kernel/loop.js";
import type { Task } from "./kernel/task.js";
import { reportLeftoverFailures } from "./kernel/unretrieved.js";
import { userFrame } from "./debug/frames.js";
import { watchRun, watchStuck } from "./debug/runWatch.js";
import { keyboardInterrupt, watchSignals } from "./sigint.js";
import { checkRunSignals, type CatchableSignal } from "./kernel/signals.js";
import { checkFunction } from "./kernel/validate.js";
import { checkMonitorOption } from "./monitor/runOption.js";

/**
 * Options of `run()` and `new Runner()`: how the loop they create is set up.
 *
 * @example
 * await run(main, { debug: true });
 * await run(main, { clock: new VirtualClock() }); // from asyncio-ts/testing: timers jump ahead
 * await run(main, { signals: ["SIGINT", "SIGTERM"] }); // `docker stop` cancels main too: exit 143
 */
export interface RunOptions {
  /** Debug mode: slow-callback reports, creation stacks, deadlock reports (also `ASYNCIO_TS_DEBUG=1`). */
  debug?: boolean;
  /** The loop's clock, e.g. `new VirtualClock()` from `asyncio-ts/testing`. */
  clock?: Clock;
  /**
   * `run()` only: start the live monitor (`asyncio-ts/monitor`) for the run, on any port (`true`) or
   * this one, and print its URL on stderr; also `ASYNCIO_TS_MONITOR=1|PORT`. `false` keeps it off.
   */
  monitor?: boolean | number;
  /**
   * The signals that cancel the main task while it runs; `["SIGINT"]` (Ctrl-C) by default, as
   * asyncio's Runner. The first one cancels main, so its `finally` blocks run; if main then ends
   * cancelled, run() rejects with `KeyboardInterrupt` ("interrupted by SIGTERM"), which, uncaught,
   * ends the process with exit code 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
   * A second one ends the process at once. `[]` leaves every signal to its default action. A
   * signal the program already listens to when run() starts is left to the program. The
   * listeners are removed when main is done.
   */
  signals?: readonly Exclude<NodeJS.Signals, "SIGKILL" | "SIGSTOP">[];
}

const RUN_FIX = "Pass the function itself: write run(main), not run(main()).";

function whenDone(task: Task<unknown>): Promise<void> {
  return new Promise<void>((resolve) => task._addListener(() => resolve()));
}

/**
 * The loop turn in which `asyncio.run` stops: main's completion is seen by a callback queued
 * behind everything already scheduled, so tasks that main created in its last step take their
 * first step (to their first await) before run() cancels what is left, and their cleanup code
 * runs then, as in asyncio (`test_asyncio_run_reports_hanging_tasks_errors`).
 */
function stopTurn(loop: Loop): Promise<void> {
  if (loop.isClosed()) return Promise.resolve();
  return new Promise<void>((resolve) => loop.callSoon(resolve));
}

/**
 * Runs functions as root tasks on one loop of its own, then cleans up: `close()` cancels and
 * awaits every task still pending, shuts the default executor down and reports failures nobody
 * retrieved. `run()` is a Runner used once.
 *
 * @example
 * await using runner = new Runner({ debug: true });
 * await runner.run(main);
 */
export class Runner {
  private loop: Loop | null = null;
  private closed = false;
  private readonly options: RunOptions;
  private readonly signals: readonly CatchableSignal[];

  /**
   * @throws TypeError if `options` is not an object or `signals` not an array; RangeError if
   *   `signals` names an unknown signal, SIGKILL or SIGSTOP (which cannot be caught), or a fault
   *   signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL).
   */
  constructor(options: RunOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Runner expects an options object: received ${typeof options}`);
    }
    checkLoopOptions("Runner", options);
    this.signals = options.signals === undefined ? ["SIGINT"] : checkRunSignals(options.signals);
    this.options = options;
  }

  /** The runner's loop (created on first use). */
  getLoop(): Loop {
    if (this.closed) throw new Error("Runner is closed");
    if (this.loop === null) {
      const { clock, debug } = this.options;
      this.loop = new Loop({ ...(clock !== undefined ? { clock } : {}), ...(debug !== undefined ? { debug } : {}) });
    }
    return this.loop;
  }

  /**
   * Runs `main` as a task to completion and settles with its outcome. SIGINT (Ctrl-C) while it
   * runs cancels it (or any of the `signals` option); if main then ends cancelled, the promise
   * rejects with `KeyboardInterrupt` (uncaught, it ends the process with exit code 130, or 128 +
   * the signal's number: 143 for SIGTERM). A second signal ends the process at once.
   *
   * @throws TypeError if `main` is not a function (e.g. `run(main())`).
   * @throws Error if the runner is closed, or if called from inside a running task (await the
   *   function directly there, or use `createTask()`).
   */
  run<T>(main: () => PromiseLike<T> | T, options?: { name?: string }): Promise<T> {
    checkFunction("run()", main, RUN_FIX);
    const running = storage.getStore();
    if (running !== undefined && running._state === PENDING) {
      throw new Error("run() cannot be called from inside a running task: await the function directly, or use createTask()");
    }
    const loop = this.getLoop();
    const task = loop.createTask(main, { name: options?.name ?? "main" });
    const signals = watchSignals(loop, task, this.signals);
    const unwatch = loop._debug ? watchRun(loop, task) : watchStuck(task);
    return whenDone(task as unknown as Task<unknown>).then(() => {
      // Main is done: a signal not yet dispatched is no longer run()'s (removed before the stop
      // turn, or one sent while main was finishing would find main done and end the process).
      signals.remove();
      unwatch();
      return stopTurn(loop);
    }).then(() => {
      // As asyncio's Runner: KeyboardInterrupt only if the signal's cancel was main's only one
      // (another task's cancel too, and main ends with CancelledError).
      if (signals.interruptedBy !== null && task.cancelled() && task.uncancel() === 0) throw keyboardInterrupt(task, signals.interruptedBy);
      return task.result();
    });
  }

  /**
   * Cancels and awaits every task left, runs the loop's close hooks, reports unretrieved failures,
   * then closes the loop: timers and callbacks still scheduled are dropped (see `Loop.isClosed()`).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const loop = this.loop;
    if (loop === null) return;
    loop._closing = true;
    await cancelAllTasks(loop);
    for (const hook of loop._closeHooks.splice(0)) await hook();
    reportLeftoverFailures(loop);
    loop._close();
  }

  /** `await using runner = new Runner()`: `close()` at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function cancelAllTasks(loop: Loop): Promise<void> {
  // Tasks may start others while unwinding; a few rounds catch those too.
  for (let round = 0; round < 8 && loop._tasks.size > 0; round++) {
    const tasks = [...loop._tasks];
    if (loop._debug && round === 0) reportLeftovers(loop, tasks);
    for (const task of tasks) task.cancel();
    await Promise.all(tasks.map(whenDone));
    for (const task of tasks) {
      if (task._failed()) {
        loop.callExceptionHandler({ message: "unhandled exception during run() shutdown", exception: task.exception(), task });
      }
    }
  }
}

function reportLeftovers(loop: Loop, tasks: Task<unknown>[]): void {
  for (const task of tasks) {
    const created = userFrame(task._creationStack);
    loop.callExceptionHandler({
      message: `Task ${JSON.stringify(task.name)} was still pending when run() finished; cancelling it${created !== undefined ? `\n  task created ${created}` : ""}`,
      task,
      kind: "pending-at-exit",
    });
  }
}

/**
 * Runs `main` as the root task of a new loop; when it settles, cancels and awaits every task
 * still pending, shuts the default executor down, closes the loop, and settles with `main`'s
 * outcome. Ctrl-C (SIGINT) cancels `main`, and so does each signal of the `signals` option
 * (`["SIGINT", "SIGTERM"]` for a service); if main ends cancelled, `run()` rejects with
 * `KeyboardInterrupt`, which, left uncaught, ends the process with one line on stderr and exit
 * code 130 (128 + the signal's number: 143 for SIGTERM). A second signal ends the process at once.
 *
 * @throws TypeError if `main` is not a function: write `run(main)`, not `run(main())`.
 * @throws TypeError if `options.signals` is not an array; RangeError if it names an unknown
 *   signal or one that cannot be caught (see `RunOptions.signals`).
 * @example
 * await run(async () => {
 *   await sleep(1);
 *   console.log("done");
 * });
 */
export function run<T>(main: () => PromiseLike<T> | T, options: RunOptions = {}): Promise<T> {
  checkFunction("run()", main, RUN_FIX);
  checkMonitorOption(options.monitor);
  const runner = new Runner(options);
  if (options.monitor !== undefined || process.env.ASYNCIO_TS_MONITOR !== undefined) return runMonitored(runner, main, options.monitor);
  const started = runner.run(main);
  return finish(runner, started);
}

/** run() with the live monitor, when asked for (loaded only then: the root package pays nothing). */
async function runMonitored<T>(runner: Runner, main: () => PromiseLike<T> | T, option: boolean | number | undefined): Promise<T> {
  const { monitorPort, startRunMonitor } = await import("./monitor/autostart.js");
  const port = monitorPort(option);
  if (port === null) return finish(runner, runner.run(main));
  const monitor = await startRunMonitor(runner.getLoop(), port);
  try {
    return await finish(runner, runner.run(main));
  } finally {
    await monitor.close();
  }
}

async function finish<T>(runner: Runner, started: Promise<T>): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await started };
  } catch (error) {
    outcome = { ok: false, error };
  }
  await runner.close();
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
