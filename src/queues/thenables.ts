/**
 * Debug mode's warning for a foreign thenable put into a queue. The library's own Futures and
 * Tasks come out of `get()` as themselves (kernel/opaque.ts), but JavaScript's `await` always
 * adopts a native promise or another library's thenable, so `await queue.get()` would return its
 * result (or throw its failure), unlike asyncio's queues which return the object.
 */
import { inspect } from "node:util";
import { currentLoop } from "../kernel/context.js";
import { Future } from "../kernel/future.js";
import { describe, isThenable } from "../kernel/validate.js";

/** Whether `item` is a thenable `await queue.get()` cannot hand back as itself. */
function isForeignThenable(item: unknown): boolean {
  return isThenable(item) && !(item instanceof Future);
}

/**
 * Reports a foreign thenable `item` through the loop's exception handler if the loop is in debug
 * mode. Returns whether it reported (the caller warns once per queue).
 */
export function warnForeignThenable(queue: object, where: string, item: unknown): boolean {
  if (!isForeignThenable(item)) return false;
  const loop = currentLoop();
  if (!loop._debug) return false;
  loop.callExceptionHandler({
    message:
      `${where}: ${describe(item)} was put into ${inspect(queue)}: \`await queue.get()\` will adopt it ` +
      `and return its result, not the object (JavaScript's await adopts every thenable). Wrap such ` +
      `items, e.g. put({ promise }) on a Queue<{ promise: Promise<T> }>; getNowait() returns them as ` +
      `they are. (Reported once per queue, in debug mode.)`,
    kind: "thenable-item",
  });
  return true;
}
