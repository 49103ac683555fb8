/**
 * Debug mode's "blocked event loop" check. A synchronous stretch of a task runs between two
 * awaits, inside a promise reaction that the loop never sees; async_hooks' before/after events
 * bracket every such reaction (and every timer or I/O callback), so timing them finds the stretch,
 * and the task context still in force there names the task. Callbacks of the loop's own ready
 * queue are timed one by one by the loop instead (see Loop._runReadyTimed), since one batch holds
 * many of them.
 *
 * The hook is installed only while some open loop is in debug mode: outside it, nothing is paid.
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
 * Counts open loops in debug mode; the hook runs while at least one is. A loop leaves the count
 * when it closes (end of its run()), so a program that ran one debug run() stops paying for it.
 */
export function debugEnabled(on: boolean): void {
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

/** Reports a synchronous stretch longer than `loop.slowCallbackDuration` through the exception handler. */
export function reportSlow(loop: Loop, seconds: number, task: Task<unknown> | undefined, from?: StackHolder, what?: string): void {
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
