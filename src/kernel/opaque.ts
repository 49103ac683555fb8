/**
 * Handing a Future or Task through a native promise as the object itself, not its result.
 *
 * A promise's resolve function adopts any value with a callable `then`, and it looks `then` up
 * synchronously, inside the resolve call (ECMAScript "Promise Resolve Functions", step
 * Get(resolution, "then")). `Future.prototype.then` is an accessor (see the end of future.ts)
 * that answers `undefined` for the one object being resolved here, so that resolve fulfils the
 * promise with the future instead of waiting for it. A queue of tasks returns the tasks
 * themselves, as asyncio's does.
 *
 * Only the library's futures can be kept this way: a native promise or another library's
 * thenable is always adopted by JavaScript's `await`.
 */

/** The value a resolve call is fulfilling with right now (undefined: none). */
export let opaqueTarget: unknown = undefined;

/** Calls `resolve(value)` so that a Future `value` fulfils the promise as itself. */
export function resolveOpaque(resolve: (value: never) => void, value: unknown): void {
  opaqueTarget = value;
  try {
    resolve(value as never);
  } finally {
    opaqueTarget = undefined;
  }
}

/**
 * `Promise.resolve(value)`, fulfilled with a Future `value` itself. Promise.resolve calls the new
 * promise's resolve function with `value`, so it is the same mechanism without an executor call.
 * A native promise `value` is returned as it is (Promise.resolve does not look at its `then`).
 */
export function resolvedOpaque<T>(value: T): Promise<T> {
  opaqueTarget = value;
  try {
    return Promise.resolve(value) as Promise<unknown> as Promise<T>;
  } finally {
    opaqueTarget = undefined;
  }
}
