/**
 * A worker process dies with the pool's process, even while a job keeps its main thread busy.
 *
 * An idle worker leaves when its IPC channel closes ('disconnect'). A busy one never sees that
 * event: a job spinning in a CPU loop never yields, so after the pool's process exits, crashes or
 * is SIGKILLed, the worker would spin on at 100 % CPU, re-parented to PID 1. Nothing the parent
 * does on its way out can help (SIGKILL gives it no way out), and Node has no PR_SET_PDEATHSIG.
 * So each worker process runs a watchdog thread that polls `process.ppid`: once the parent is
 * gone the process is re-parented and its ppid changes, and the watchdog kills its own process.
 *
 * The job pays nothing: the watchdog has its own thread and event loop (a `getppid` call every
 * POLL_MS); it costs each worker process one small thread at startup.
 */
import { SHARE_ENV, Worker } from "node:worker_threads";

/** How often the watchdog looks: the longest an orphaned worker spins on. */
const POLL_MS = 250;

// Plain JavaScript run with `eval: true`, so the thread starts without loading any module file.
// SIGKILL, not exit(): process.exit() in a thread ends only the thread, and a SIGTERM handler
// installed by a job would run on the busy main thread, that is never.
const WATCHDOG = `"use strict";
const { workerData } = require("node:worker_threads");
const check = () => {
  if (process.ppid !== workerData.parent) process.kill(process.pid, "SIGKILL");
};
check();
setInterval(check, workerData.every);
`;

/** Starts the watchdog of this worker process; `parent` is the pid of the pool's process. */
export function watchParent(parent: number): void {
  if (!Number.isInteger(parent) || parent <= 0) return;
  try {
    const watchdog = new Worker(WATCHDOG, {
      eval: true,
      workerData: { parent, every: POLL_MS },
      execArgv: [], // not the worker's own flags: a loader given there would load in this thread too
      env: SHARE_ENV,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 1, stackSizeMb: 1 }, // it needs ~4 MB; RSS +9 MB per worker process
    });
    watchdog.unref(); // it must not keep the worker process alive
    watchdog.on("error", () => undefined); // without it, an idle worker still leaves on 'disconnect'
  } catch {
    // Threads unavailable: an idle worker still leaves on 'disconnect'.
  }
}
