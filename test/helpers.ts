// Shared helpers for the ports of CPython's asyncio tests. Every test body runs inside `run()`,
// usually on a VirtualClock so that timeouts are deterministic and instant.
import { getRunningLoop, run, sleep, type ExceptionContext } from "../src/index.js";
import { VirtualClock } from "../src/testing/index.js";

/** Runs `main` as the root task of a new loop whose clock is virtual (time jumps when idle). */
export function vrun<T>(main: () => PromiseLike<T> | T): Promise<T> {
  return run(main, { clock: new VirtualClock() });
}

/** Lets the loop run `n` batches of ready callbacks (asyncio's `test_utils.run_briefly`, n times). */
export async function ticks(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await sleep(0);
}

/** Records what the running loop's exception handler receives (instead of writing to stderr). */
export function captureExceptions(): ExceptionContext[] {
  const seen: ExceptionContext[] = [];
  getRunningLoop().setExceptionHandler((_loop, context) => {
    seen.push(context);
  });
  return seen;
}

/** The loop's time, rounded to microseconds so that float sums compare cleanly. */
export function now(): number {
  return Math.round(getRunningLoop().time() * 1e6) / 1e6;
}

/** A promise and its resolvers (Promise.withResolvers is Node 22+). */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Thrown by tests where CPython uses ZeroDivisionError / MyExc: an error of a known class. */
export class ZeroDivisionError extends Error {
  override name = "ZeroDivisionError";
}
export class MyExc extends Error {
  override name = "MyExc";
}

/** The set of error class names in an ExceptionGroup (CPython's `get_error_types`). */
export function errorTypes(eg: unknown): Set<string> {
  const list = (eg as { exceptions?: readonly unknown[] }).exceptions ?? [];
  return new Set(list.map((e) => (e instanceof Error ? e.name : typeof e)));
}

/**
 * The runtime running the tests. The whole suite runs on Node; CI also runs the portable files on
 * Bun and Deno (.ci/run), where a few tests check what those runtimes cannot do the same way.
 */
export const runtime: "node" | "bun" | "deno" =
  process.versions["bun"] !== undefined ? "bun" : process.versions["deno"] !== undefined ? "deno" : "node";

/**
 * A node:test `skip` option: on the runtimes named, the reason the test cannot run there (it
 * shows in the report); elsewhere false. Each reason states a documented runtime difference.
 */
export function unsupportedOn(reasons: Partial<Record<"bun" | "deno", string>>): string | false {
  return runtime === "node" ? false : (reasons[runtime] ?? false);
}

/** The reason for tests that start a child with `node --import tsx` (process.execPath is bun or deno there). */
export const SPAWNS_NODE = "starts a child process with Node's flags (--import tsx)";
