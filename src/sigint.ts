/**
 * Ctrl-C during `run()`, as `asyncio.Runner` handles it: the first SIGINT cancels the main task,
 * so its `finally` blocks run; a second one (or one after main finished) ends the process at once,
 * as Node does by default. If main then ends cancelled, `run()` rejects with `KeyboardInterrupt`,
 * and if nothing catches that, the process exits with code 130 after one line on stderr.
 *
 * Why a rejection and not process.exit(130) inside run(): a program may still want to clean up
 * or report after run() (`try { await run(main) } finally { ... }`), as Python code may catch
 * KeyboardInterrupt. Why exit 130 then: `await run(main)` at top level is how programs are
 * written, and Node's default for an uncaught rejection (a stack trace, exit code 1) reads as a
 * crash; 130 is what shells and process managers expect of an interrupted program.
 */
import { isMainThread } from "node:worker_threads";
import { KeyboardInterrupt } from "./errors.js";
import type { Task } from "./kernel/task.js";

/** One run()'s SIGINT listener. */
export interface SigintWatch {
  /** Whether a SIGINT cancelled the main task. */
  readonly interrupted: boolean;
  /** Removes the listener (when main is done). */
  remove(): void;
}

const NOT_WATCHING: SigintWatch = { interrupted: false, remove: () => undefined };

/** Cancels `main` on the first SIGINT; does nothing off the main thread or if the program listens itself. */
export function watchSigint(main: Task<unknown>): SigintWatch {
  if (!isMainThread || process.listenerCount("SIGINT") > 0) return NOT_WATCHING;
  const watch = {
    interrupted: false,
    remove: (): void => {
      process.off("SIGINT", onSigint);
    },
  };
  const onSigint = (): void => {
    if (watch.interrupted || main.done()) {
      process.off("SIGINT", onSigint);
      process.kill(process.pid, "SIGINT");
      return;
    }
    watch.interrupted = true;
    main.cancel("interrupted by SIGINT");
  };
  process.on("SIGINT", onSigint);
  return watch;
}

/** What run() rejects with after a SIGINT that main did not handle; see the module comment. */
export function keyboardInterrupt(main: Task<unknown>): KeyboardInterrupt {
  let cancelled: unknown;
  try {
    main.result();
  } catch (error) {
    cancelled = error;
  }
  exitOnUncaughtInterrupt();
  return new KeyboardInterrupt("interrupted by SIGINT", { cause: cancelled });
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
    process.exit(130);
  });
}
