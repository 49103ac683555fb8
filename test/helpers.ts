// Shared helpers for the ports of CPython's asyncio tests. Every test body runs inside `run()`,
// usually on a VirtualClock so that timeouts are deterministic and instant.
import { strict as assert } from "node:assert";
import * as nodeTest from "node:test";
import { describe, type HookFn, type HookOptions, type TestFn, type TestOptions } from "node:test";
import { allTasks, CancelledError, ExceptionGroup, getRunningLoop, run, sleep, type ExceptionContext } from "../src/index.js";
import { VirtualClock } from "../src/testing/index.js";

/**
 * Every test's time limit, in milliseconds: a deadlock fails its own test, and the run goes on.
 * The slowest test (the docs' type-check) takes ~4 s on a quiet 2-core machine and ~13 s on one
 * loaded ten times over.
 * `ASYNCIO_TS_TEST_TIMEOUT_MS` overrides it (test/suite-hygiene.test.ts uses that on a fixture).
 *
 * Why not package.json's `--test-timeout` alone: on Node 20 that flag limits each test *file*
 * (the runner's subtest per file), not each test; from Node 22 it is a per-test default. It stays
 * in the script as the backstop, well above this limit, with `--test-force-exit` so that a timer a
 * hung test left behind cannot keep its file's process alive.
 */
export const DEFAULT_TEST_TIMEOUT_MS = 60_000;
export const TEST_TIMEOUT_MS = Number(process.env["ASYNCIO_TS_TEST_TIMEOUT_MS"] ?? DEFAULT_TEST_TIMEOUT_MS);

/**
 * node:test's `it`/`test` with `timeout: TEST_TIMEOUT_MS` unless the options set one. Test files
 * import `describe`, `it`, `test` and the hooks from here, never from node:test (suite-hygiene
 * checks it).
 */
export function it(name: string, fn: TestFn): void;
export function it(name: string, options: TestOptions, fn: TestFn): void;
export function it(name: string, optionsOrFn: TestOptions | TestFn, maybeFn?: TestFn): void {
  const [options, fn] = typeof optionsOrFn === "function" ? [{}, optionsOrFn] : [optionsOrFn, maybeFn];
  // The runner awaits every test it registers; the promise only tells when this one finished.
  void nodeTest.it(name, { timeout: TEST_TIMEOUT_MS, ...options }, fn);
}
export const test = it;
export { describe };

/** node:test's hooks with `timeout: TEST_TIMEOUT_MS` unless the options set one. */
export const before = (fn: HookFn, options?: HookOptions): void => nodeTest.before(fn, { timeout: TEST_TIMEOUT_MS, ...options });
export const after = (fn: HookFn, options?: HookOptions): void => nodeTest.after(fn, { timeout: TEST_TIMEOUT_MS, ...options });
export const beforeEach = (fn: HookFn, options?: HookOptions): void => nodeTest.beforeEach(fn, { timeout: TEST_TIMEOUT_MS, ...options });
export const afterEach = (fn: HookFn, options?: HookOptions): void => nodeTest.afterEach(fn, { timeout: TEST_TIMEOUT_MS, ...options });

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
  assert.ok(eg instanceof ExceptionGroup, `expected an ExceptionGroup, got ${String(eg)}`);
  return new Set(eg.exceptions.map((e) => (e instanceof Error ? e.name : typeof e)));
}

/** How a task ended, as one string: "value X", "cancelled" or "error E" (for outcome assertions). */
export async function outcome(task: PromiseLike<unknown>): Promise<string> {
  try {
    return `value ${String(await task)}`;
  } catch (error) {
    return error instanceof CancelledError ? "cancelled" : `error ${String(error)}`;
  }
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

/** The `skip` option of a test whose child runs `process.execPath --import tsx`: Bun accepts that, Deno does not. */
export const NODE_CHILD = { skip: unsupportedOn({ deno: SPAWNS_NODE }) };

/**
 * For "a bad argument starts nothing" tests of the combinators: `fn` is an async function that
 * counts its starts; `assertNothingStarted()` lets the loop turn twice, then checks that `fn`
 * never ran and that no task was left behind since the probe was made.
 */
export function startProbe(): { fn: () => Promise<void>; assertNothingStarted: () => Promise<void> } {
  let started = 0;
  const before = allTasks().size;
  const fn = async (): Promise<void> => {
    started++;
    await sleep(1);
  };
  const assertNothingStarted = async (): Promise<void> => {
    await ticks(2);
    assert.equal(started, 0, "a function was started");
    assert.equal(allTasks().size, before, "a task was left behind");
  };
  return { fn, assertNothingStarted };
}
