/**
 * Task groups, as asyncio 3.13's TaskGroup (structured concurrency): the group's body and every
 * task it starts finish before `taskGroup()` returns. The first failure cancels the body and every
 * sibling; the failures (never the CancelledErrors) are thrown together as an ExceptionGroup.
 * Cancel counts are kept exact across nested groups and foreign cancels (gh-116720).
 *
 * The body runs in a cancel scope of its own (src/kernel/scope.ts): a child's failure cancels the
 * body's waits and its `currentSignal()`, never a wait the task started before the group.
 */
import { inspect } from "node:util";
import { cancellationOf, CancelledError, ExceptionGroup, InvalidStateError } from "./errors.js";
import { currentLoop } from "./kernel/context.js";
import type { Future } from "./kernel/future.js";
import type { Loop } from "./kernel/loop.js";
import { CancelScope, currentContext } from "./kernel/scope.js";
import type { Task, TaskOptions } from "./kernel/task.js";
import { checkFunction } from "./kernel/validate.js";

let groupCounter = 0;

/** The handle a `taskGroup()` body receives: start child tasks with `createTask`. */
export class TaskGroup {
  private readonly id = ++groupCounter;
  private exiting = false;
  private aborting = false;
  private parentCancelRequested = false;
  private readonly tasks = new Set<Task<unknown>>();
  private readonly errors: unknown[] = [];
  private onCompleted: Future<void> | null = null;
  private readonly onTaskDone = (task: Task<unknown>): void => this.taskDone(task);

  /** @internal Use `taskGroup()`. */
  constructor(
    private readonly loop: Loop,
    private readonly parent: Task<unknown>,
    private readonly scope: CancelScope,
  ) {}

  /**
   * Starts `fn` in a new task that belongs to the group.
   * @throws InvalidStateError if the group has finished or is shutting down after a failure.
   */
  createTask<T>(fn: () => PromiseLike<T> | T, options?: TaskOptions): Task<T> {
    checkFunction("TaskGroup.createTask()", fn, "Pass the async function itself: tg.createTask(() => work()).");
    if (this.exiting && this.tasks.size === 0) throw new InvalidStateError(`${this.label()} is finished`);
    if (this.aborting) throw new InvalidStateError(`${this.label()} is shutting down`);
    const task = this.loop.createTask(fn, options);
    this.tasks.add(task);
    task._addListener(this.onTaskDone as (f: Future<T>) => void);
    return task;
  }

  /** Pending child tasks. */
  get size(): number {
    return this.tasks.size;
  }

  [inspect.custom](): string {
    const state = this.aborting ? "cancelling" : this.exiting ? "exiting" : "entered";
    return `<TaskGroup tasks=${this.tasks.size} errors=${this.errors.length} ${state}>`;
  }

  /** A one-line description for reports, e.g. `task group (2 tasks)`: its pending children. */
  describe(): string {
    return `task group (${this.tasks.size} tasks)`;
  }

  /** @internal Waits for every child, then returns what to throw (or nothing). Mirrors asyncio's _aexit. */
  async _exit(failed: boolean, error: unknown): Promise<{ error: unknown } | null> {
    this.exiting = true;
    let propagateCancellation: unknown = failed && cancellationOf(error) !== null ? error : null;
    if (failed && !this.aborting) {
      // The parent is being cancelled, or the body threw: stop the children.
      this.abort();
    }
    // A loop, since onCompleted can be cancelled again and again if our parent task is.
    while (this.tasks.size > 0) {
      this.onCompleted ??= this.loop.createFuture<void>();
      try {
        await this.onCompleted;
      } catch (cancelled) {
        if (!(cancelled instanceof CancelledError)) throw cancelled;
        if (!this.aborting) {
          // Our parent task is being cancelled while children still run.
          propagateCancellation = cancelled;
          this.abort();
        }
      }
      this.onCompleted = null;
    }
    if (this.parentCancelRequested) {
      // We cancelled the parent ourselves: we must uncancel it, and not propagate our own cancel.
      if (this.parent.uncancel() === 0) propagateCancellation = null;
    }
    if (propagateCancellation !== null && this.errors.length === 0) return { error: propagateCancellation };
    if (failed && cancellationOf(error) === null) this.errors.push(error);
    if (this.errors.length > 0) {
      // If the parent is being cancelled from outside, keep its cancel count stable.
      if (this.parent.cancelling() > 0) {
        this.parent.uncancel();
        this.parent.cancel();
      }
      return { error: new ExceptionGroup("unhandled errors in a TaskGroup", this.errors) };
    }
    return failed ? { error } : null;
  }

  private abort(): void {
    this.aborting = true;
    for (const task of this.tasks) if (!task.done()) task.cancel();
  }

  private taskDone(task: Task<unknown>): void {
    this.tasks.delete(task);
    if (this.onCompleted !== null && this.tasks.size === 0 && !this.onCompleted.done()) {
      this.onCompleted.setResult(undefined);
    }
    if (!task._failed()) return;
    const error = task.exception();
    this.errors.push(error);
    if (this.parent.done()) {
      this.loop.callExceptionHandler({ message: "Task has errored out but its parent task is already completed", exception: error, task });
      return;
    }
    if (!this.aborting && !this.parentCancelRequested) {
      // Cancel the body (the parent task's current await) so it stops what it is doing; __aexit__
      // uncancels it again, so code after the group still runs.
      this.abort();
      this.parentCancelRequested = true;
      this.scope.cancel();
    }
  }

  private label(): string {
    return `TaskGroup #${this.id}`;
  }
}

async function runGroup<T>(group: TaskGroup, scope: CancelScope, body: (tg: TaskGroup) => PromiseLike<T> | T): Promise<T> {
  try {
    return await runBody(group, body);
  } finally {
    scope.exit();
  }
}

async function runBody<T>(group: TaskGroup, body: (tg: TaskGroup) => PromiseLike<T> | T): Promise<T> {
  let result: T | undefined;
  let failed = false;
  let error: unknown;
  try {
    result = await body(group);
  } catch (e) {
    failed = true;
    error = e;
  }
  const outcome = await group._exit(failed, error);
  if (outcome !== null) throw outcome.error;
  return result as T;
}

/**
 * Runs `body(tg)` in the current task; `tg.createTask()` starts children. Resolves with the body's
 * result once every child is done. If a child (or the body) fails, all others are cancelled and
 * an `ExceptionGroup` of the real failures is thrown. Cancelling the enclosing task cancels the
 * group.
 *
 * @throws ExceptionGroup holding every failure (CancelledErrors excluded).
 * @throws TypeError if `body` is not a function.
 * @example
 * const [a, b] = await taskGroup(async (tg) => {
 *   const a = tg.createTask(() => fetchUser(1));
 *   const b = tg.createTask(() => fetchUser(2));
 *   return [a, b] as const;
 * });
 * console.log(a.result(), b.result()); // every child is done once taskGroup() returns
 */
export function taskGroup<T>(body: (tg: TaskGroup) => PromiseLike<T> | T): Promise<T> {
  checkFunction("taskGroup()", body, "Pass the body: taskGroup(async (tg) => { tg.createTask(work) }).");
  const ctx = currentContext();
  if (ctx !== undefined) {
    const scope = new CancelScope(ctx);
    return scope.run(runGroup<T>, new TaskGroup(ctx._loop, ctx._task, scope), scope, body);
  }
  const loop = currentLoop();
  return Promise.resolve(loop.createTask(() => taskGroup(body), { name: "taskGroup" }));
}
