import { currentLoop } from "./kernel/context.js";
import { checkAwaitable, ensureFuture, type AwaitableLike } from "./kernel/ensureFuture.js";
import type { Future } from "./kernel/future.js";
import { checkOptions, checkTimeout, describe, isThenable } from "./kernel/validate.js";
import { checkSignal, linkSignal } from "./kernel/waiting.js";

/** `wait()` returns when any awaitable finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** `wait()` returns when any awaitable fails (or all finish). */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** `wait()` returns when all awaitables are done (the default). */
export const ALL_COMPLETED = "ALL_COMPLETED";

/**
 * When `wait()` returns: `FIRST_COMPLETED` (some awaitable is done, cancelled included),
 * `FIRST_EXCEPTION` (some awaitable failed, else when all are done; a cancellation does not count
 * as a failure) or `ALL_COMPLETED` (the default). Either way a `timeout` returns earlier.
 */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/**
 * Options of `wait()`.
 *
 * @example
 * const [done, pending] = await wait(tasks, { returnWhen: FIRST_EXCEPTION, timeout: 10 });
 */
export interface WaitCallOptions {
  /** Seconds to wait at most; on timeout `wait()` just returns (nothing is cancelled). */
  timeout?: number | null;
  /** When to return (see ReturnWhen); default ALL_COMPLETED. */
  returnWhen?: ReturnWhen;
  /** Aborting it rejects the wait with `signal.reason` (as every wait's `{ signal }`); nothing is cancelled. */
  signal?: AbortSignal | undefined;
}

export function toFutures<T>(where: string, aws: Iterable<AwaitableLike<T>>): Set<Future<T>> {
  return futuresOf(where, checkedItems(where, aws));
}

/**
 * The items of `aws`, each checked to be awaitable. Every item is checked before any function is
 * started: a bad one throws and starts nothing. The iterable may be a generator, readable once,
 * so its items are taken first.
 */
function checkedItems<T>(where: string, aws: Iterable<AwaitableLike<T>>): Array<AwaitableLike<T>> {
  if (aws === null || typeof aws !== "object" || isThenable(aws) || typeof (aws as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`${where} expects an iterable of tasks, futures or promises: received ${describe(aws)}`);
  }
  const items = Array.from(aws);
  for (let i = 0; i < items.length; i++) checkAwaitable(`${where} item ${i}`, items[i]);
  return items;
}

/** Futures for checked items (functions started as tasks), each awaitable once. */
function futuresOf<T>(where: string, items: Array<AwaitableLike<T>>): Set<Future<T>> {
  const loop = currentLoop();
  const futures = new Set<Future<T>>();
  const seen = new Set<unknown>();
  for (let i = 0; i < items.length; i++) {
    const aw = items[i] as AwaitableLike<T>;
    if (!seen.has(aw)) {
      seen.add(aw);
      futures.add(ensureFuture(`${where} item ${i}`, aw, loop));
    }
  }
  return futures;
}

/**
 * Waits for the awaitables until `returnWhen` holds or `timeout` seconds pass, and resolves with
 * `[done, pending]`. It never cancels anything: on timeout it just returns.
 * Pass tasks (or futures) to recognise them in the sets; functions are started as new tasks and
 * promises are wrapped in new futures.
 *
 * @throws TypeError if `aws` is not an iterable of awaitables; RangeError if it is empty or
 *   `returnWhen` is not one of FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED.
 * @example
 * const [done, pending] = await wait(tasks, { returnWhen: FIRST_COMPLETED, timeout: 5 });
 */
export function wait<T>(
  aws: Iterable<AwaitableLike<T>>,
  options: WaitCallOptions = {},
): Promise<[done: Set<Future<T>>, pending: Set<Future<T>>]> {
  checkOptions("wait()", options);
  const signal = checkSignal("wait()", options);
  const timeout = checkTimeout("wait()", options.timeout);
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED) {
    throw new RangeError(`wait() expects returnWhen to be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED: received ${describe(returnWhen)}`);
  }
  const items = checkedItems("wait()", aws);
  if (items.length === 0) throw new RangeError("wait() expects at least one awaitable: received an empty collection");
  // An aborted signal refuses the wait at the door, before any function is started.
  if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
  return waitFutures(futuresOf("wait()", items), timeout, returnWhen, signal);
}

async function waitFutures<T>(
  futures: Set<Future<T>>,
  timeout: number | null,
  returnWhen: ReturnWhen,
  signal: AbortSignal | undefined,
): Promise<[Set<Future<T>>, Set<Future<T>>]> {
  const loop = currentLoop();
  const waiter = loop.createFuture<void>();
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  let aborted: { reason: unknown } | null = null;
  const unlink =
    signal === undefined
      ? null
      : linkSignal(signal, {
          abort(reason: unknown): void {
            if (waiter.done()) return;
            aborted = { reason };
            release();
          },
        });
  const timer = timeout === null ? null : loop._callAt(loop.time() + timeout, release);
  let counter = futures.size;
  const onCompletion = (f: Future<T>): void => {
    counter--;
    if (
      counter <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && f._failed())
    ) {
      timer?.cancel();
      release();
    }
  };
  for (const f of futures) f.addDoneCallback(onCompletion);
  try {
    await waiter;
  } finally {
    timer?.cancel();
    unlink?.();
    for (const f of futures) f.removeDoneCallback(onCompletion);
  }
  if (aborted !== null) throw (aborted as { reason: unknown }).reason;
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const f of futures) (f.done() ? done : pending).add(f);
  return [done, pending];
}
