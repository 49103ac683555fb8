/**
 * `retry(fn, options)`: call `fn` until it succeeds, backing off exponentially between attempts
 * (p-retry, tenacity), inside the caller's task so every rule of the task model holds:
 * - a `CancelledError` (the caller's task cancelled, an enclosing `timeout()` expiring) is never
 *   retried: it propagates at once, from `fn` or from the back-off sleep;
 * - the back-off sleeps are library waits of the calling task, so an enclosing `timeout()` or a
 *   `cancel()` interrupts them, and `options.signal` aborts them.
 */
import { cancellationOf } from "../errors.js";
import { checkFunction, describe } from "../kernel/validate.js";
import { sleep } from "../sleep.js";

/** Options of `retry()`. Durations in seconds. */
export interface RetryOptions {
  /** How many calls in all (the first one included): an integer ≥ 1, or Infinity. Default 3. */
  attempts?: number | undefined;
  /** The back-off after the first failure, in seconds. Default 0.1. */
  initial?: number | undefined;
  /** Each back-off is `factor` times the one before (≥ 1). Default 2. */
  factor?: number | undefined;
  /** The longest back-off, in seconds. Default 10. */
  max?: number | undefined;
  /**
   * Spread the back-offs so that clients that failed together do not retry together: each one is
   * drawn uniformly from [d/2, d] ("equal jitter"), d being the exponential figure. Default true.
   */
  jitter?: boolean | undefined;
  /**
   * Whether to retry after `error` (the failure of attempt `attempt`, from 1). Default: every error
   * except a cancellation. Never asked about a `CancelledError`.
   */
  retryOn?: ((error: unknown, attempt: number) => boolean) | undefined;
  /** Called before each back-off sleep, with the error, the attempt that failed and the delay (for logs, progress). */
  onRetry?: ((error: unknown, attempt: number, delay: number) => void) | undefined;
  /** Aborting it interrupts a back-off sleep (rejecting with `signal.reason`). */
  signal?: AbortSignal | undefined;
}

const WHERE = "retry()";
/** How many of the latest failures the `cause` chain keeps (retrying forever must not grow memory). */
const HISTORY = 100;

function checkNumber(name: string, value: unknown, fallback: number, min: number, what: string, allowInfinity = false): number {
  if (value === undefined) return fallback;
  const expected = `${WHERE} expects options.${name} to be ${what}`;
  if (typeof value !== "number") throw new TypeError(`${expected}: received ${describe(value)}`);
  if (!(value >= min) || (!allowInfinity && !Number.isFinite(value))) throw new RangeError(`${expected}: received ${describe(value)}`);
  return value;
}

function checkOptional<F>(name: string, value: F | undefined, type: "function" | "boolean"): F | undefined {
  if (value !== undefined && typeof value !== type) throw new TypeError(`${WHERE} expects options.${name} to be a ${type}: received ${describe(value)}`);
  return value;
}

/**
 * Links the earlier failures to the last one through `cause`: each error that is an object and has
 * no `cause` of its own gets the error of the attempt before it. An error that already has a cause
 * keeps it (the chain then stops there), and the same object is never linked to itself.
 */
function chain(errors: readonly unknown[]): void {
  for (let i = errors.length - 1; i > 0; i--) {
    const error = errors[i];
    const before = errors[i - 1];
    if (typeof error !== "object" || error === null || Object.prototype.hasOwnProperty.call(error, "cause")) continue;
    if (reaches(before, error)) continue;
    try {
      Object.defineProperty(error, "cause", { value: before, writable: true, configurable: true, enumerable: false });
    } catch {
      // A frozen error keeps what it has.
    }
  }
}

/** Whether `from`'s cause chain already contains `target` (linking would make a cycle). */
function reaches(from: unknown, target: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = from; typeof e === "object" && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    if (e === target) return true;
    seen.add(e);
  }
  return false;
}

/**
 * Calls `fn(attempt)` (attempt counts from 1) until it returns without throwing, at most
 * `attempts` times, sleeping between attempts: `initial` seconds after the first failure, then
 * `factor` times longer each time, never more than `max` seconds, spread by `jitter`.
 *
 * `fn` runs inline, in the caller's task and cancel scopes: wrap the call in `timeout()` for a
 * deadline on the whole, attempts and sleeps included; put a `timeout()` inside `fn` for a
 * deadline per attempt (its `TimeoutError` is then retried like any other failure).
 *
 * When the attempts run out, or `retryOn` says no, the last error is thrown. The earlier ones are
 * reachable through its `cause` chain: `last.cause` is the error of the attempt before, and so on
 * (an error that already had a `cause` keeps it, and the chain stops there; at most the last 100).
 *
 * @throws the last error of `fn`; a `CancelledError` at once, never retried; `options.signal`'s
 *   reason if it aborts a back-off; TypeError/RangeError for bad options.
 * @example
 * const body = await retry(async () => {
 *   const res = await fetch(url, { signal: currentSignal() });
 *   if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
 *   return res.text();
 * }, { attempts: 5, initial: 0.2 });
 */
export function retry<T>(fn: (attempt: number) => PromiseLike<T> | T, options: RetryOptions = {}): Promise<T> {
  checkFunction(WHERE, fn, "Pass the async function to call: retry(() => work(), { attempts: 3 }).");
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${WHERE} expects an options object, e.g. { attempts: 5 }: received ${describe(options)}`);
  }
  const attempts = checkNumber("attempts", options.attempts, 3, 1, "an integer ≥ 1 or Infinity", true);
  if (attempts !== Infinity && !Number.isInteger(attempts)) {
    throw new RangeError(`${WHERE} expects options.attempts to be an integer ≥ 1 or Infinity: received ${attempts}`);
  }
  const initial = checkNumber("initial", options.initial, 0.1, 0, "a number of seconds ≥ 0");
  const factor = checkNumber("factor", options.factor, 2, 1, "a number ≥ 1");
  const max = checkNumber("max", options.max, 10, 0, "a number of seconds ≥ 0");
  const jitter = checkOptional("jitter", options.jitter, "boolean") ?? true;
  const retryOn = checkOptional("retryOn", options.retryOn, "function");
  const onRetry = checkOptional("onRetry", options.onRetry, "function");
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${WHERE} expects options.signal to be an AbortSignal: received ${describe(signal)}`);
  }

  return retryLoop(fn, { attempts, initial, factor, max, jitter, retryOn, onRetry, signal });
}

interface Checked {
  attempts: number;
  initial: number;
  factor: number;
  max: number;
  jitter: boolean;
  retryOn: ((error: unknown, attempt: number) => boolean) | undefined;
  onRetry: ((error: unknown, attempt: number, delay: number) => void) | undefined;
  signal: AbortSignal | undefined;
}

/** The loop of `retry()`, once its arguments are checked (they are checked synchronously, before any await). */
async function retryLoop<T>(fn: (attempt: number) => PromiseLike<T> | T, options: Checked): Promise<T> {
  const { attempts, initial, factor, max, jitter, retryOn, onRetry, signal } = options;
  const errors: unknown[] = [];
  let backoff = initial;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (cancellationOf(error) !== null) throw error;
      errors.push(error);
      if (errors.length > HISTORY) errors.shift();
      if (attempt >= attempts || (retryOn !== undefined && !retryOn(error, attempt))) {
        chain(errors);
        throw error;
      }
      const delay = Math.min(backoff, max);
      const wait = jitter ? delay / 2 + Math.random() * (delay / 2) : delay;
      backoff = delay * factor;
      onRetry?.(error, attempt, wait);
      await sleep(wait, undefined, signal === undefined ? undefined : { signal });
    }
  }
}
