/**
 * What debug mode adds to one `run()`: a deadlock report when the process is about to exit while
 * the main task is still pending (nothing left can wake it), and SIGUSR2 printing the task tree
 * of a live process. Both are removed when the run finishes.
 */
import type { Loop } from "../kernel/loop.js";
import type { Task } from "../kernel/task.js";
import { signalTurn } from "../kernel/signals.js";
import { formatTaskTree } from "./taskTree.js";

export function watchRun(loop: Loop, main: Task<unknown>): () => void {
  const onBeforeExit = (): void => {
    // A signal already sent may still wake main: it is dispatched in the turn signalTurn() grants.
    if (main.done() || signalTurn()) return;
    process.stderr.write(
      `asyncio-ts: deadlock: the process is about to exit but run()'s main task ${JSON.stringify(main.name)} ` +
        `is still pending, and nothing is left that could wake it. Pending tasks:\n${formatTaskTree(loop)}\n`,
    );
  };
  const onSignal = (): void => {
    process.stderr.write(`asyncio-ts: task tree (SIGUSR2)\n${formatTaskTree(loop)}\n`);
  };
  process.on("beforeExit", onBeforeExit);
  const canSignal = process.platform !== "win32";
  if (canSignal) process.on("SIGUSR2", onSignal);
  return () => {
    process.off("beforeExit", onBeforeExit);
    if (canSignal) process.off("SIGUSR2", onSignal);
  };
}

/**
 * Outside debug mode: if the process is about to exit while `run()`'s main task is still pending
 * (a swallowed cancellation, a lost wake-up), say so in one line instead of letting Node exit in
 * silence (with code 13 for a top-level `await run(...)`). Removed when the run finishes.
 */
export function watchStuck(main: Task<unknown>): () => void {
  const onBeforeExit = (): void => {
    // A signal already sent may still wake main: it is dispatched in the turn signalTurn() grants.
    if (main.done() || signalTurn()) return;
    process.stderr.write(
      `asyncio-ts: run()'s main task ${JSON.stringify(main.name)} can never finish: the process is about to exit and nothing is left ` +
        `that could wake it (a swallowed cancellation? a lost wake-up?). Run with ASYNCIO_TS_DEBUG=1 to see what each task waits on.\n`,
    );
  };
  process.on("beforeExit", onBeforeExit);
  return () => process.off("beforeExit", onBeforeExit);
}
