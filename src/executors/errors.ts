/** WorkerDiedError: how a job fails when its worker dies instead of returning or throwing. */
const BRAND = Symbol.for("asyncio-ts.WorkerDiedError");

/**
 * The error a job fails with when the worker running it dies (`process.exit()`, a crash, out of
 * memory, `process.abort()`, a signal) rather than returning or throwing. Only that job fails; the
 * pool replaces the worker and goes on with the next job. A job the worker had been sent but had not
 * taken yet does not fail: it runs on the new worker. A job the pool stops itself (cancelled, or
 * timed out by `waitFor`/`timeout`) ends with CancelledError/TimeoutError instead.
 *
 * `instanceof` also recognises instances made by another copy of the package.
 *
 * Use it to tell a crash from an error the job threw: the latter arrives as the original error
 * (name, message, stack and properties).
 *
 * @example
 * await using pool = new ThreadPoolExecutor();
 * try {
 *   await pool.submit(() => process.exit(3));
 * } catch (e) {
 *   if (e instanceof WorkerDiedError) console.log(e.exitCode); // 3
 * }
 */
export class WorkerDiedError extends Error {
  /** The worker's exit code, or null if it was ended by a signal (or never started). */
  readonly exitCode: number | null;
  /** The signal that ended a process worker (e.g. "SIGABRT"), else null. */
  readonly signal: string | null;

  constructor(message: string, details: { exitCode?: number | null; signal?: string | null; cause?: unknown } = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.exitCode = details.exitCode ?? null;
    this.signal = details.signal ?? null;
  }
}
Object.defineProperty(WorkerDiedError.prototype, "name", { value: "WorkerDiedError", writable: true, configurable: true });
Object.defineProperty(WorkerDiedError.prototype, BRAND, { value: true });
// instanceof also recognises instances made by another copy of the package (as src/errors.ts does).
Object.defineProperty(WorkerDiedError, Symbol.hasInstance, {
  value(this: typeof WorkerDiedError, value: unknown): boolean {
    return (
      Function.prototype[Symbol.hasInstance].call(this, value) ||
      (typeof value === "object" && value !== null && (value as { [BRAND]?: boolean })[BRAND] === true)
    );
  },
});
