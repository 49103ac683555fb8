/**
 * The error a job fails with when the worker running it dies (exit, crash, out of memory, a signal)
 * rather than returning or throwing. Only that job fails; the pool replaces the worker.
 */
const BRAND = Symbol.for("asyncio-ts.WorkerDiedError");

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
