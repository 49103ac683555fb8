/**
 * The states of a future (and task), and what a task can be waiting on: the leaves of the kernel,
 * kept apart so that the wait machinery can use them without importing `Future` (an import cycle).
 */
export const PENDING = 0;
export const FINISHED = 1;
export const CANCELLED = 2;
export type FutureState = typeof PENDING | typeof FINISHED | typeof CANCELLED;

/** Something a task can be waiting on; `cancel` rejects that wait with CancelledError. */
export interface Waiter {
  done(): boolean;
  cancel(message?: string): boolean;
}
