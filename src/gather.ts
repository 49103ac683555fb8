import { CancelledError } from "./errors.js";
import { currentLoop } from "./kernel/context.js";
import { checkAwaitable, ensureFuture, type AwaitableLike, type ResultOf } from "./kernel/ensureFuture.js";
import { Future } from "./kernel/future.js";
import { describe, isThenable } from "./kernel/validate.js";

/**
 * Options of `gather()`, passed as its last argument: a plain object (not a promise, future or
 * function), so that it cannot be mistaken for an awaitable.
 *
 * @example
 * const results = await gather(job1, job2, { returnExceptions: true });
 * for (const r of results) if (r instanceof Error) console.error(r);
 */
export interface GatherOptions {
  /** Failures (and CancelledErrors) become results instead of rejecting the gather. */
  returnExceptions?: boolean;
}

type Results<A extends readonly unknown[]> = { -readonly [K in keyof A]: ResultOf<A[K]> };
type ResultsOrErrors<A extends readonly unknown[]> = { -readonly [K in keyof A]: ResultOf<A[K]> | Error };

/**
 * The Future `gather()` returns. Cancelling it cancels every child that is not done yet.
 */
export class GatheringFuture<T> extends Future<T> {
  /** @internal */ _cancelRequested = false;
  /** @internal */
  constructor(private readonly children: readonly Future<unknown>[]) {
    super(children[0]?._loop ?? currentLoop());
  }

  override cancel(message?: string): boolean {
    this._markRetrieved();
    if (this.done()) return false;
    // Set before cancelling: a child's completion listener runs synchronously inside
    // child.cancel() and must already see the request, so that the gather ends with
    // CancelledError even with returnExceptions (asyncio issue 32684).
    this._cancelRequested = true;
    let cancelled = false;
    for (const child of this.children) if (child.cancel(message)) cancelled = true;
    // The outer future itself finishes once every child has; see onChildDone.
    if (!cancelled) this._cancelRequested = false;
    return cancelled;
  }

  /**
   * A one-line description for task stacks and the task tree (`printTaskTree()`), e.g.
   * `gather (2 of 3 pending)`.
   */
  override describe(): string {
    const pending = this.children.filter((c) => !c.done()).length;
    return `gather (${pending} of ${this.children.length} pending)`;
  }
}

let gatherStamp = 0;

function isOptions(value: unknown): value is GatherOptions {
  return typeof value === "object" && value !== null && !isThenable(value) && !(value instanceof Future);
}

/**
 * Runs awaitables concurrently and resolves with their results in argument order (a typed tuple).
 * Functions are started in new tasks; tasks, futures and promises are awaited as they are.
 *
 * Without `returnExceptions`, the first failure rejects the gather and the others keep running;
 * with it, failures (and CancelledErrors) are results. Cancelling the returned future cancels
 * every child task.
 *
 * @throws TypeError if an argument is not awaitable, or options are not last.
 * @example
 * const [a, b] = await gather(fetchUser(1), () => fetchUser(2));
 * const results = await gather(job1, job2, { returnExceptions: true });
 */
export function gather<const A extends readonly AwaitableLike<unknown>[]>(...aws: A): GatheringFuture<Results<A>>;
export function gather<const A extends readonly AwaitableLike<unknown>[]>(
  ...args: [...A, GatherOptions & { returnExceptions: true }]
): GatheringFuture<ResultsOrErrors<A>>;
export function gather<const A extends readonly AwaitableLike<unknown>[]>(
  ...args: [...A, GatherOptions]
): GatheringFuture<Results<A> | ResultsOrErrors<A>>;
export function gather(...args: unknown[]): GatheringFuture<unknown[]> {
  let returnExceptions = false;
  let count = args.length;
  if (count > 0 && isOptions(args[count - 1])) {
    const options = args[count - 1] as GatherOptions;
    const flag: unknown = options.returnExceptions;
    if (flag !== undefined && typeof flag !== "boolean") {
      // Not read for its truthiness: { returnExceptions: "false" } must not quietly mean either.
      throw new TypeError(`gather() expects options.returnExceptions to be a boolean: received ${describe(flag)}`);
    }
    returnExceptions = flag === true;
    count--;
  }
  // Every argument is checked before any function is started: a bad one throws and starts nothing.
  for (let i = 0; i < count; i++) {
    const arg = args[i];
    if (isOptions(arg)) throw new TypeError(`gather() takes its options object last: found one at position ${i}`);
    checkAwaitable(`gather() argument ${i}`, arg);
  }
  const loop = currentLoop();
  const children: Future<unknown>[] = new Array<Future<unknown>>(count);
  // The same awaitable passed twice is awaited once (as asyncio does). Futures are recognised by a
  // per-call stamp, so no Map of 100k entries is built for the common all-distinct case.
  const stamp = ++gatherStamp;
  const unique: Future<unknown>[] = [];
  let seenOthers: Map<unknown, Future<unknown>> | null = null;
  for (let i = 0; i < count; i++) {
    const arg = args[i];
    let child: Future<unknown> | undefined;
    if (arg instanceof Future) {
      child = arg as Future<unknown>;
      if (child._gatherStamp !== stamp) {
        child._gatherStamp = stamp;
        unique.push(child);
      }
    } else {
      child = seenOthers?.get(arg);
      if (child === undefined) {
        child = ensureFuture(`gather() argument ${i}`, arg as AwaitableLike<unknown>, loop);
        (seenOthers ??= new Map()).set(arg, child);
        unique.push(child);
      }
    }
    children[i] = child;
  }
  const outer = new GatheringFuture<unknown[]>(children);
  if (count === 0) {
    outer.setResult([]);
    return outer;
  }
  let finished = 0;
  const onChildDone = (child: Future<unknown>): void => {
    finished++;
    if (outer.done()) {
      if (!child.cancelled()) child.exception(); // mark it retrieved: the gather already reported
      return;
    }
    if (!returnExceptions) {
      if (child.cancelled()) {
        outer.setException(child._makeCancelledError());
        return;
      }
      if (child._failed()) {
        outer.setException(child.exception());
        return;
      }
    }
    if (finished === unique.length) {
      const results = children.map((c) => {
        if (c.cancelled()) return new CancelledError(c._cancelMessage);
        return c._failed() ? c.exception() : c.result();
      });
      if (outer._cancelRequested) outer.setException(child._makeCancelledError());
      else outer.setResult(results);
    }
  };
  for (const child of unique) child._addListener(onChildDone);
  return outer;
}
