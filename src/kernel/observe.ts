/**
 * Hooks for the live monitor (src/monitor). The kernel knows nothing of the monitor: it reads
 * `observer`, which stays null unless a monitor runs, so the cost when nobody watches is one
 * null check at task creation, at each parked wait and at each guarded acquire.
 */
import type { Task } from "./task.js";

export interface Observer {
  /** A task was created (the monitor stamps its birth and learns its loop). */
  taskCreated(task: Task<unknown>): void;
  /** A guard was handed out by a Lock or Semaphore (who holds it, since when). */
  acquired(target: object): void;
  /** Debug mode reported a slow callback (seconds, and the task that ran, if any). */
  slow(seconds: number, task: Task<unknown> | undefined, message: string): void;
}

/** The running monitor's hooks, or null. */
export let observer: Observer | null = null;

/** Installed by `startMonitor()`, removed by its `close()`. */
export function setObserver(next: Observer | null): void {
  observer = next;
}
