/**
 * Helpers every blocking primitive uses to take part in the cancellation model:
 * find the cancel context a wait belongs to, validate the `{ signal }` option and link it to the
 * wait (a pending cancellation is delivered at the door by `refusal()` in src/sync/parked.ts).
 */
/** Options every blocking call accepts. */
export interface WaitOptions {
  /** Aborting it rejects the wait with `signal.reason`, leaving the primitive as it was. */
  signal?: AbortSignal | undefined;
}

/** The cancel context a wait started now belongs to (see scope.ts). */
export { currentContext } from "./scope.js";

/** Validates the `signal` option. */
export function checkSignal(where: string, options: WaitOptions | undefined): AbortSignal | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") {
    throw new TypeError(`${where} expects an options object: received ${typeof options}`);
  }
  const signal = options.signal;
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(`${where} expects options.signal to be an AbortSignal: received ${typeof signal}`);
  }
  return signal;
}

/** Something that can be failed by an abort signal. */
export interface Abortable {
  abort(reason: unknown): void;
}

function onAbort(this: { target: Abortable; signal: AbortSignal }): void {
  this.target.abort(this.signal.reason);
}

/** Links `signal` to `target`; returns the function that unlinks it (call it on every settle path). */
export function linkSignal(signal: AbortSignal, target: Abortable): () => void {
  const link = { target, signal };
  const listener = onAbort.bind(link);
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}
