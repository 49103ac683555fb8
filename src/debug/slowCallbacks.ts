/**
 * Debug mode's "blocked event loop" check. A synchronous stretch of a task runs between two
 * awaits, inside a promise reaction that the loop never sees; async_hooks' before/after events
 * bracket every such reaction (and every timer or I/O callback), so timing them finds the stretch,
 * and the task context still in force there names the task. Callbacks of the loop's own ready
 * queue are timed one by one by the loop instead (see Loop._runReadyTimed), since one batch holds
 * many of them.
 *
 * The hook is installed only while some open loop is in debug mode: outside it, nothing is paid.
 *
 * Bun and Deno accept `createHook()` but never call its hooks. There, a timer that fires late is
 * what sees a blocked loop (as monitorLoopLag() does): the report says for how long, but cannot
 * name the task, since no code of the library runs while the loop is blocked.
 */
import { createHook, type AsyncHook } from "node:async_hooks";
import { storage } from "../kernel/context.js";
import type { Loop } from "../kernel/loop.js";
import { observer } from "../kernel/observe.js";
import { stackText, type StackHolder, type Task } from "../kernel/task.js";
import { userFrame } from "./frames.js";

let hook: AsyncHook | null = null;
let debugLoops = 0;
let depth = 0;
let startedAt = 0;
let startSite: StackHolder | undefined;
let skipNext = false;

/** Whether async_hooks calls before/after here (Node); Bun and Deno only pretend to. */
const HOOKS_TIMED = process.versions["bun"] === undefined && process.versions["deno"] === undefined;
/** The late-timer check's tick, in ms: a blocked stretch shows as this timer firing late. */
const LAG_TICK_MS = 20;
let lagTimer: ReturnType<typeof setInterval> | null = null;
/** Debug loops that the late-timer check reports to (the last one added, still open). */
const lagLoops = new Set<Loop>();
/** performance.now() when the last slow stretch was reported, so that one stretch is reported once. */
let lastReportAt = 0;

/** Whether the current macrotask was a ready batch the loop timed itself (then the hook stays quiet). */
export function markBatchTimed(): void {
  skipNext = true;
}

function before(): void {
  if (depth++ === 0) {
    startedAt = performance.now();
    startSite = storage.getStore()?._task._awaitSite; // formatted only if a report needs it
  }
}

function after(): void {
  // The hook is often enabled from inside a callback, whose `after` then arrives unmatched.
  if (depth === 0) return;
  if (--depth !== 0) return;
  if (skipNext) {
    skipNext = false;
    return;
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const task = storage.getStore()?._task;
  if (task === undefined) return;
  const loop = task._loop;
  if (!loop._debug || seconds < loop.slowCallbackDuration) return;
  reportSlow(loop, seconds, task, startSite);
}

/** @internal For tests: whether the async_hooks hook is installed. */
export function debugHookInstalled(): boolean {
  return hook !== null;
}

/**
 * Counts open loops in debug mode; the hook (on Bun and Deno, the late-timer check) runs while at
 * least one is. A loop leaves the count when it closes (end of its run()), so a program that ran
 * one debug run() stops paying for it.
 */
export function debugEnabled(on: boolean, loop: Loop): void {
  if (!HOOKS_TIMED) {
    watchLag(on, loop);
    return;
  }
  debugLoops += on ? 1 : -1;
  if (debugLoops > 0 && hook === null) {
    hook = createHook({ before, after });
    hook.enable();
  } else if (debugLoops <= 0 && hook !== null) {
    hook.disable();
    hook = null;
    debugLoops = 0;
    depth = 0;
  }
}

function watchLag(on: boolean, loop: Loop): void {
  if (on) lagLoops.add(loop);
  else lagLoops.delete(loop);
  if (lagLoops.size > 0 && lagTimer === null) {
    let expected = performance.now() + LAG_TICK_MS;
    lagTimer = setInterval(() => {
      const now = performance.now();
      const lag = (now - expected) / 1000;
      expected = now + LAG_TICK_MS;
      const target = [...lagLoops].reverse().find((l) => !l._closing);
      if (target === undefined || lag < target.slowCallbackDuration || lastReportAt > now - lag * 1000) return;
      const runtime = process.versions["bun"] !== undefined ? "Bun" : "Deno";
      lastReportAt = now;
      target.callExceptionHandler({
        message:
          `A synchronous stretch blocked the event loop for ${lag.toFixed(3)} seconds (slowCallbackDuration is ${target.slowCallbackDuration})\n` +
          `  ${runtime} gives debug mode no async_hooks timing, so the task cannot be named: look for a busy loop, Atomics.wait, execSync or a big computation`,
        duration: lag,
        kind: "slow-callback",
      });
    }, LAG_TICK_MS);
    lagTimer.unref();
  } else if (lagLoops.size === 0 && lagTimer !== null) {
    clearInterval(lagTimer);
    lagTimer = null;
  }
}

/** Reports a synchronous stretch longer than `loop.slowCallbackDuration` through the exception handler. */
export function reportSlow(loop: Loop, seconds: number, task: Task<unknown> | undefined, from?: StackHolder, what?: string): void {
  lastReportAt = performance.now();
  const who = task !== undefined ? `Task ${JSON.stringify(task.name)}` : (what ?? "A callback");
  const lines = [`${who} blocked the event loop for ${seconds.toFixed(3)} seconds (slowCallbackDuration is ${loop.slowCallbackDuration})`];
  const resumedAt = userFrame(stackText(from));
  const pausedAt = userFrame(task?._awaitStack);
  if (resumedAt !== undefined) lines.push(`  resumed ${resumedAt}`);
  if (pausedAt !== undefined && pausedAt !== resumedAt) lines.push(`  next await ${pausedAt}`);
  const created = userFrame(task?._creationStack);
  if (created !== undefined) lines.push(`  task created ${created}`);
  if (observer !== null) observer.slow(seconds, task, lines[0] ?? "");
  loop.callExceptionHandler({
    message: lines.join("\n"),
    ...(task !== undefined ? { task } : {}),
    duration: seconds,
    kind: "slow-callback",
  });
}
