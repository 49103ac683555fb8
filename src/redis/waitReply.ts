/**
 * Awaiting a Redis reply the way a library primitive waits: the reply promise is the client's
 * (a foreign promise, which a task's cancel cannot interrupt), so it is mirrored into a library
 * `Future` and the task awaits that. A cancel (the task's, a `timeout`/`waitFor` scope's, or the
 * `{ signal }` option) then lands at this await at once, while the command finishes on its own;
 * the caller decides what a late reply means (see RedisQueue.get and put).
 */
import { CancelledError, getEventLoop, type Future } from "../index.js";

function settle<T>(future: Future<T>, ok: boolean, value: unknown): void {
  if (future.done()) return;
  if (ok) future.setResult(value as T);
  else future.setException(value);
}

/** A library Future that settles as `promise` does. */
export function mirror<T>(promise: PromiseLike<T>): Future<T> {
  const future = getEventLoop().createFuture<T>();
  promise.then(
    (value) => settle(future, true, value),
    (error: unknown) => settle(future, false, error),
  );
  return future;
}

/**
 * Awaits `future` as a cancellable library wait. Aborting `signal` cancels the future and the
 * call rejects with `signal.reason`.
 */
export async function awaitFuture<T>(future: Future<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await future;
  if (signal.aborted) {
    future.cancel();
    throw signal.reason;
  }
  const onAbort = (): void => {
    future.cancel();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await future;
  } catch (error) {
    if (error instanceof CancelledError && signal.aborted && future.cancelled()) throw signal.reason;
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Validates a `{ signal }` option. */
export function signalOption(where: string, options: { signal?: AbortSignal | undefined } | undefined): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) throw new TypeError(`${where} expects an options object: received ${String(options)}`);
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${where} expects options.signal to be an AbortSignal: received ${typeof signal}`);
  }
  return signal;
}
