/**
 * Hooks for the live monitor (src/monitor). The kernel knows nothing of the monitor: it reads
 * `observer`, which stays null unless a monitor runs, so the cost when nobody watches is one
 * null check at task creation and at each guarded acquire. Waits are not hooked at all: the
 * monitor dates them by their sequence stamp (`_seq`, see scope.ts).
 */
import type { Task } from "./task.js";

export interface Observer {
  /** A task was created (the monitor learns its loop and the latest task id). */
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
