/**
 * Event: a flag tasks can wait for (asyncio.Event). `set()` wakes every waiter; `wait()` on a set
 * event returns at once; `clear()` makes later waits block again.
 *
 * Cancellation: a cancelled `wait()` leaves the queue; one cancelled after `set()` woke it but
 * before it resumed fails with CancelledError, as in asyncio (nothing else changes).
 *
 * @example
 * const ready = new Event();
 * createTask(async () => { await ready.wait(); go(); });
 * ready.set();
 */
import { inspect } from "node:util";
import { checkSignal, currentContext, type WaitOptions } from "../kernel/waiting.js";
import { kindName, Parked, PROCEED, refusal, type ParkKind } from "./parked.js";
import { WaiterQueue } from "./waiterQueue.js";

/** What `Event.statistics()` returns: a snapshot, for tests and monitoring. */
export interface EventStatistics {
  /** Whether the flag is set. */
  isSet: boolean;
  /** Tasks blocked in `wait()`. */
  tasksWaiting: number;
}

const TRUE = Promise.resolve(true as const);
const VOID = Promise.resolve(undefined);

function consumeWait(node: Parked): true {
  if (node.settle()) return true;
  throw node._error;
}

function consumeWaitVoid(node: Parked): undefined {
  if (node.settle()) return undefined;
  throw node._error;
}

const WAIT: ParkKind = { op: "Event.wait()", consume: consumeWait };

/**
 * @internal The kind of an Event wait reported under another name, resolving to undefined
 * (`Queue.join()`, whose asyncio counterpart returns None).
 */
export function eventWaitKind(op: string): ParkKind {
  return { op, consume: consumeWaitVoid };
}

export class Event {
  private flag = false;
  private readonly waiters = new WaiterQueue<Parked>();

  /** Whether the flag is set: `wait()` would return at once. */
  isSet(): boolean {
    return this.flag;
  }

  /** Sets the flag and wakes every waiting task. */
  set(): void {
    if (this.flag) return;
    this.flag = true;
    for (let node = this.waiters.peek(); node !== null; node = this.waiters.peek()) node.wake();
  }

  /** Resets the flag: later `wait()` calls block until the next `set()`. */
  clear(): void {
    this.flag = false;
  }

  /**
   * Resolves to true once the flag is set (at once if it is).
   * @throws TypeError if `options.signal` is not an AbortSignal.
   */
  wait(options?: WaitOptions): Promise<true> {
    return this._wait(WAIT, options) as Promise<true>;
  }

  /** Counts of waiters, for tests and monitoring. */
  statistics(): EventStatistics {
    return { isSet: this.flag, tasksWaiting: this.waiters.size };
  }

  [inspect.custom](): string {
    const n = this.waiters.size;
    return `<Event ${this.flag ? "set" : "unset"}${n > 0 ? ` waiters=${n}` : ""}>`;
  }

  /**
   * @internal `wait()` under another name in reports: `Queue.join()` waits on its internal Event
   * but names the queue (`host`) in the task tree.
   */
  _wait(kind: ParkKind, options: WaitOptions | undefined, host: object = this): Promise<true | undefined> {
    const signal = options === undefined ? undefined : checkSignal(kindName(kind, host), options);
    const task = currentContext();
    const refused = refusal(task, signal);
    if (refused !== PROCEED) return Promise.reject(refused);
    if (this.flag) return kind === WAIT ? TRUE : VOID;
    return new Parked(host, kind).park<true | undefined>(this.waiters, task, signal);
  }
}
