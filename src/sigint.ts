/**
 * Ctrl-C during `run()`, as `asyncio.Runner` handles it, and any other signal named in run()'s
 * `signals` option (SIGTERM: how Docker, Kubernetes and systemd stop a process) handled the same
 * way: the first such signal cancels the main task, so its `finally` blocks run; a second one (or
 * one after main finished) ends the process at once, as Node does by default. If main then ends
 * cancelled, `run()` rejects with `KeyboardInterrupt` ("interrupted by SIGTERM"), and if nothing
 * catches that, the process exits with code 128 + the signal's number (130 for SIGINT, 143 for
 * SIGTERM) after one line on stderr.
 *
 * Why a rejection and not process.exit(130) inside run(): a program may still want to clean up
 * or report after run() (`try { await run(main) } finally { ... }`), as Python code may catch
 * KeyboardInterrupt. Why exit 128 + signo then: `await run(main)` at top level is how programs are
 * written, and Node's default for an uncaught rejection (a stack trace, exit code 1) reads as a
 * crash; 130 and 143 are what shells and process managers expect of an interrupted or stopped
 * program (a shell reports a process killed by signal N as 128 + N).
 */
import { constants } from "node:os";
import { isMainThread } from "node:worker_threads";
import { KeyboardInterrupt } from "./errors.js";
import type { Loop } from "./kernel/loop.js";
import type { CatchableSignal } from "./kernel/signals.js";
import type { Task } from "./kernel/task.js";

/** One run()'s signal listeners. */
export interface SignalWatch {
  /** The signal that cancelled the main task, if one did. */
  readonly interruptedBy: CatchableSignal | null;
  /** Removes the listeners (when main is done). */
  remove(): void;
}

/**
 * Cancels `main` on the first of `signals`, through the loop's signal handlers
 * (`loop.addSignalHandler`: the cancel runs as a loop callback). Does nothing off the main thread;
 * a signal the program already listens to when run() starts is left to the program.
 */
export function watchSignals(loop: Loop, main: Task<unknown>, signals: readonly CatchableSignal[]): SignalWatch {
  const watched = isMainThread ? signals.filter((sig) => process.listenerCount(sig) === 0) : [];
  const watch = {
    interruptedBy: null as CatchableSignal | null,
    remove: (): void => {
      for (const sig of watched) loop.removeSignalHandler(sig);
    },
  };
  for (const sig of watched) {
    loop.addSignalHandler(sig, () => {
      if (watch.interruptedBy !== null || main.done()) {
        // The default action, now: the handlers are removed and the signal raised again.
        watch.remove();
        process.kill(process.pid, sig);
        return;
      }
      watch.interruptedBy = sig;
      main.cancel(`interrupted by ${sig}`);
    });
  }
  return watch;
}

/** The exit code of each KeyboardInterrupt run() rejected with: 128 + the signal's number. */
const exitCodes = new WeakMap<KeyboardInterrupt, number>();

/** What run() rejects with after a signal that main did not handle; see the module comment. */
export function keyboardInterrupt(main: Task<unknown>, sig: CatchableSignal): KeyboardInterrupt {
  let cancelled: unknown;
  try {
    main.result();
  } catch (error) {
    cancelled = error;
  }
  exitOnUncaughtInterrupt();
  const error = new KeyboardInterrupt(`interrupted by ${sig}`, { cause: cancelled });
  exitCodes.set(error, 128 + ((constants.signals as Record<string, number>)[sig] ?? 0));
  return error;
}

let exitHookInstalled = false;

function exitOnUncaughtInterrupt(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The monitor sees an uncaught error (an unhandled rejection, or a rejected top-level await)
  // before Node prints it and exits with code 1; it reacts to KeyboardInterrupt only, and not at
  // all when the program handles uncaught errors itself.
  process.on("uncaughtExceptionMonitor", (error) => {
    if (!(error instanceof KeyboardInterrupt) || process.listenerCount("uncaughtException") > 0) return;
    process.stderr.write(`asyncio-ts: ${error.message}\n`);
    process.exit(exitCodes.get(error) ?? 130);
  });
}
