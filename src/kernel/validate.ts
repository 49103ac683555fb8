/** Argument checks shared by every public entry point; messages say what was expected and what came. */

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "object") {
    if (isThenable(value)) return "a promise";
    const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
    return ctor ? `an object (${ctor})` : "an object";
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "symbol") return value.toString();
  return `${value as number | boolean | bigint | undefined}`;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** A delay in seconds: a number, not NaN; negative means "now" (as in asyncio). */
export function checkDelay(where: string, delay: unknown): number {
  if (typeof delay !== "number") {
    throw new TypeError(`${where} expects a delay in seconds (a number): received ${describe(delay)}`);
  }
  if (Number.isNaN(delay)) throw new RangeError(`${where} expects a delay in seconds: received NaN`);
  return delay;
}

/** A timeout in seconds or null (no limit). */
export function checkTimeout(where: string, timeout: unknown): number | null {
  if (timeout === null || timeout === undefined) return null;
  return checkDelay(where, timeout);
}

/** A point in time on the loop's clock (seconds), or null. */
export function checkWhen(where: string, when: unknown): number | null {
  if (when === null || when === undefined) return null;
  if (typeof when !== "number") {
    throw new TypeError(`${where} expects a deadline in loop seconds (a number) or null: received ${describe(when)}`);
  }
  if (Number.isNaN(when)) throw new RangeError(`${where} expects a deadline in loop seconds: received NaN`);
  return when;
}

/**
 * An options object or undefined. Anything else (`wait(tasks, 5)`, `createTask(fn, "name")`) would
 * otherwise be read as "no options" and its meaning silently dropped. `example` (e.g.
 * `"{ delay: 1 }"`) is shown in the message.
 */
export function checkOptions(where: string, options: unknown, example?: string): void {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`${where} expects an options object${example === undefined ? "" : `, e.g. ${example}`}: received ${describe(options)}`);
  }
}

export function checkFunction(where: string, fn: unknown, fix?: string): asserts fn is (...args: never[]) => unknown {
  if (typeof fn === "function") return;
  if (isThenable(fn)) {
    throw new TypeError(
      `${where} expects a function, not a promise: the promise has already started outside the task, ` +
        `so it could not be cancelled. ${fix ?? "Pass the async function itself, e.g. f instead of f()."}`,
    );
  }
  throw new TypeError(`${where} expects a function: received ${describe(fn)}`);
}
