/**
 * Failures nobody looked at. asyncio logs "Task exception was never retrieved" when such a
 * future is garbage-collected; we do the same through a FinalizationRegistry, and also when
 * `run()` finishes, so that short programs and tests see the report deterministically.
 */
import type { Future } from "./future.js";
import type { Loop } from "./loop.js";
import { userFrame } from "../debug/frames.js";

interface Held {
  loop: Loop;
  message: string;
  exception: unknown;
  label: string;
}

const registry = new FinalizationRegistry<Held>((held) => {
  held.loop.callExceptionHandler({ message: held.message, exception: held.exception, [held.label.startsWith("Task") ? "task" : "future"]: held.label });
});

const tracked = new WeakMap<Loop, Set<WeakRef<Future<unknown>>>>();

function labelOf(future: Future<unknown>): string {
  const name = (future as { name?: unknown }).name;
  return typeof name === "string" ? `Task ${JSON.stringify(name)}` : "Future";
}

function messageOf(future: Future<unknown>): string {
  const name = (future as { name?: unknown }).name;
  if (typeof name !== "string") return "Future exception was never retrieved";
  const created = userFrame((future as { _creationStack?: string })._creationStack);
  return `Task exception was never retrieved: Task ${JSON.stringify(name)}${created !== undefined ? `\n  task created ${created}` : ""}`;
}

export function trackFailure(future: Future<unknown>): void {
  const loop = future._loop;
  registry.register(
    future,
    { loop, message: messageOf(future), exception: future._exception, label: labelOf(future) },
    future,
  );
  let refs = tracked.get(loop);
  if (refs === undefined) tracked.set(loop, (refs = new Set()));
  if (refs.size >= 1024) {
    for (const ref of refs) if (ref.deref()?._unretrieved !== true) refs.delete(ref);
  }
  refs.add(new WeakRef(future));
}

export function untrackFailure(future: Future<unknown>): void {
  registry.unregister(future);
}

export function reportUnretrieved(future: Future<unknown>): void {
  if (!future._unretrieved) return;
  future._unretrieved = false;
  registry.unregister(future);
  const isTask = typeof (future as { name?: unknown }).name === "string";
  future._loop.callExceptionHandler({
    message: messageOf(future),
    exception: future._exception,
    ...(isTask ? { task: future as never } : { future }),
  });
}

/** Reports every failure of `loop` still unretrieved; run() calls it when it finishes. */
export function reportLeftoverFailures(loop: Loop): void {
  const refs = tracked.get(loop);
  if (refs === undefined) return;
  tracked.delete(loop);
  for (const ref of refs) {
    const future = ref.deref();
    if (future !== undefined) reportUnretrieved(future);
  }
}
