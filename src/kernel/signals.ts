/**
 * Unix signal handlers that run on the loop (asyncio's `loop.add_signal_handler`): the callback is
 * scheduled with `callSoon` when the signal arrives, so it runs in order with the loop's other
 * callbacks, outside any task. While a handler is set, the signal's default action (e.g. exit on
 * SIGINT) is replaced, as in asyncio. One handler per signal per loop; setting another replaces it.
 * The handlers are removed when `run()` (or the Runner) closes the loop.
 */
import { constants } from "node:os";
import { isMainThread } from "node:worker_threads";
import type { Loop } from "./loop.js";
import { outsideTasks } from "./context.js";
import { checkFunction, describe } from "./validate.js";

/** A signal given by name ("SIGTERM") or number (15). */
export type SignalName = NodeJS.Signals | number;

/** Checks a signal argument and returns its name. */
export function checkSignalName(where: string, sig: unknown): NodeJS.Signals {
  const signals = constants.signals as Record<string, number>;
  if (typeof sig === "string" && Object.hasOwn(signals, sig)) return sig as NodeJS.Signals;
  if (typeof sig === "number") {
    for (const [name, num] of Object.entries(signals)) if (num === sig) return name as NodeJS.Signals;
  }
  throw new RangeError(`${where} expects a signal name such as "SIGTERM" or a signal number: received ${describe(sig)}`);
}

/** Signals no process can catch: their default action always happens. */
const UNCATCHABLE: ReadonlySet<string> = new Set(["SIGKILL", "SIGSTOP"]);

/**
 * Signals Node can listen to but should not turn into cancellation: raised by a fault (not by
 * kill(2)), they leave the process where running JavaScript listeners is unsafe (Node's docs).
 */
const FAULTS: ReadonlySet<string> = new Set(["SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL"]);

/** A signal `run()` can turn into cancellation: any signal name but the uncatchable ones. */
export type CatchableSignal = Exclude<NodeJS.Signals, "SIGKILL" | "SIGSTOP">;

/**
 * Checks `run()`'s `signals` option: an array of signal names that can be caught and are not
 * fault signals. Returns them without duplicates, in order.
 */
export function checkRunSignals(value: unknown): CatchableSignal[] {
  const where = "run(): the signals option";
  if (!Array.isArray(value)) {
    throw new TypeError(`${where} expects an array of signal names such as ["SIGINT", "SIGTERM"]: received ${describe(value)}`);
  }
  const known = constants.signals as Record<string, number>;
  const names: CatchableSignal[] = [];
  for (const sig of value as unknown[]) {
    if (typeof sig !== "string" || !Object.hasOwn(known, sig)) {
      throw new RangeError(`${where} expects signal names such as "SIGINT" or "SIGTERM": received ${describe(sig)}`);
    }
    if (UNCATCHABLE.has(sig)) throw new RangeError(`${where}: ${sig} cannot be caught; use signals such as "SIGINT" or "SIGTERM"`);
    if (FAULTS.has(sig)) throw new RangeError(`${where}: ${sig} signals a fault that JavaScript cannot safely handle; use signals such as "SIGINT" or "SIGTERM"`);
    if (!names.includes(sig as CatchableSignal)) names.push(sig as CatchableSignal);
  }
  return names;
}

const installed = new WeakMap<Loop, Map<NodeJS.Signals, () => void>>();

// ---- a signal sent just before the process ran out of work ----
// Node's signal handles do not keep the process alive, and a signal is dispatched only in the
// poll phase of a loop turn. So a signal sent to this process (`process.kill(process.pid,
// "SIGINT")` from a callback, Ctrl-C at the wrong instant) while nothing else is pending is never
// dispatched: the process exits instead, and a run() whose main task waits for that very
// interruption reports a deadlock. asyncio's loop blocks in select() and sees it. So while a
// handler is set, the first time the process is about to exit after a signal was handled (or
// ever), one more loop turn is granted: a signal already sent runs its handler in it; if none
// was, the next "about to exit" is final.

/** How many loop signal handlers are set, in every loop. */
let handlerCount = 0;
/** Signals dispatched to a loop handler so far; a turn is granted once per value. */
let dispatched = 0;
let grantedAt = -1;
let turnPending = false;

function endTurn(): void {
  turnPending = false;
}

function scheduleTurn(): void {
  setImmediate(endTurn);
}

/**
 * @internal Called where the process is about to exit ("beforeExit"): whether one more loop turn
 * is (or was just) granted for a signal that may be waiting to be dispatched. A caller that
 * reports a stuck run() waits for the next "beforeExit" when this is true.
 */
export function signalTurn(): boolean {
  if (turnPending) return true;
  if (handlerCount === 0 || grantedAt === dispatched) return false;
  grantedAt = dispatched;
  turnPending = true;
  // Created outside any task: the immediate holds no task's context.
  outsideTasks(scheduleTurn, undefined);
  return true;
}

function onBeforeExit(): void {
  signalTurn();
}

function handlerAdded(): void {
  if (handlerCount++ === 0) process.on("beforeExit", onBeforeExit);
}

function handlerRemoved(): void {
  if (--handlerCount === 0) process.off("beforeExit", onBeforeExit);
}

/** @internal `loop.addSignalHandler()`. */
export function addSignalHandler(loop: Loop, sig: unknown, callback: unknown, args: readonly unknown[]): void {
  const name = checkSignalName("addSignalHandler()", sig);
  if (UNCATCHABLE.has(name)) throw new RangeError(`addSignalHandler(): ${name} cannot be caught`);
  checkFunction("addSignalHandler()", callback);
  if (!isMainThread) throw new Error("addSignalHandler() works only in the main thread (signals are delivered there)");
  if (loop._closing) throw new Error("addSignalHandler(): the loop is closing");
  let handlers = installed.get(loop);
  if (handlers === undefined) {
    handlers = new Map();
    installed.set(loop, handlers);
    loop._closeHooks.push(() => removeAll(loop));
  }
  removeSignalHandler(loop, name);
  const fn = callback as (...a: unknown[]) => unknown;
  const listener = (): void => {
    dispatched++;
    loop.callSoon(fn, ...args);
  };
  handlers.set(name, listener);
  process.on(name, listener);
  handlerAdded();
}

/** @internal `loop.removeSignalHandler()`: whether a handler was set. */
export function removeSignalHandler(loop: Loop, sig: unknown): boolean {
  const name = checkSignalName("removeSignalHandler()", sig);
  const handlers = installed.get(loop);
  const listener = handlers?.get(name);
  if (handlers === undefined || listener === undefined) return false;
  handlers.delete(name);
  process.off(name, listener);
  handlerRemoved();
  return true;
}

function removeAll(loop: Loop): void {
  const handlers = installed.get(loop);
  if (handlers === undefined) return;
  for (const [name, listener] of handlers) {
    process.off(name, listener);
    handlerRemoved();
  }
  handlers.clear();
}
