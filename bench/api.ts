/**
 * The slice of the asyncio-ts API (../shared/API.md) that the benchmarks use, typed loosely and
 * loaded at run time. Parts of the library land at different times; a variant whose export is
 * missing reports "n/a (not exported)" instead of failing the type-check or the run.
 */

/** What `acquire()` resolves to: `using _ = await lock.acquire()`. */
export interface Guard {
  release(): void;
  [Symbol.dispose](): void;
}

export interface TaskLike<T> extends PromiseLike<T> {
  cancel(message?: string): boolean;
}

export interface LockLike {
  acquire(): Promise<Guard>;
  release(): void;
  locked(): boolean;
}

export interface EventLike {
  set(): void;
  clear(): void;
  isSet(): boolean;
  wait(): Promise<unknown>;
}

export interface QueueLike<T> {
  put(item: T): Promise<void>;
  get(): Promise<T>;
  taskDone(): void;
  join(): Promise<void>;
  qsize(): number;
}

export interface ExecutorLike {
  submit(fn: unknown, ...args: unknown[]): PromiseLike<unknown>;
  shutdown(options?: { wait?: boolean; cancelFutures?: boolean }): unknown;
}

export interface AsyncioApi {
  run<T>(main: () => Promise<T>, options?: { debug?: boolean }): Promise<T>;
  getRunningLoop(): { slowCallbackDuration: number };
  createTask<T>(fn: () => Promise<T>, options?: { name?: string; eagerStart?: boolean }): TaskLike<T>;
  sleep(delay: number): Promise<void>;
  gather(...aws: unknown[]): PromiseLike<unknown[]>;
  waitFor<T>(aw: (() => Promise<T>) | PromiseLike<T>, timeout: number | null): Promise<T>;
  timeout<T>(delay: number | null, fn: (scope: unknown) => Promise<T>): Promise<T>;
  Lock: new () => LockLike;
  Semaphore: new (value?: number) => LockLike;
  Event: new () => EventLike;
  Queue: new <T>(maxsize?: number) => QueueLike<T>;
  ThreadPoolExecutor: new (options?: { maxWorkers?: number }) => ExecutorLike;
  ProcessPoolExecutor: new (options?: { maxWorkers?: number }) => ExecutorLike;
  fromModule(url: string | URL, exportName?: string): unknown;
  mapConcurrent<T, R>(source: Iterable<T>, fn: (item: T) => Promise<R>, options: { concurrency: number; ordered?: boolean }): AsyncIterable<R>;
}

/** Thrown by `need()`; the child reports it as "n/a (not exported)". */
export class NotExported extends Error {
  override name = "NotExported";
}

let loaded: Partial<AsyncioApi> | undefined;

/** The library, imported on first use (so floors never load it, and never enable its AsyncLocalStorage). */
export async function asyncio(): Promise<Partial<AsyncioApi>> {
  loaded ??= (await import("../src/index.js")) as unknown as Partial<AsyncioApi>;
  return loaded;
}

/** The named exports, or NotExported naming the missing ones. */
export async function need<K extends keyof AsyncioApi>(...names: K[]): Promise<Pick<AsyncioApi, K>> {
  const lib = await asyncio();
  const missing = names.filter((name) => typeof lib[name] !== "function");
  if (missing.length > 0) throw new NotExported(`not exported: ${missing.join(", ")}`);
  return lib as Pick<AsyncioApi, K>;
}
